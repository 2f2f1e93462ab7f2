import { STORE_LIMITS } from '../../src/config/defaults.js';
import {
  ISSUER,
  TICKETS,
  exchange,
  makeUpstream,
  startBaton,
  startTaskToken,
  testConfig,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';

describe('metadata, health and metrics', () => {
  let up: Upstream;
  let b: RunningBaton;
  beforeAll(async () => {
    up = await makeUpstream();
    b = await startBaton(testConfig(up));
  });
  afterAll(() => b.close());

  test('RFC 8414 metadata advertises every endpoint and supported value', async () => {
    const m = (await (
      await fetch(`${b.url}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(m).toMatchObject({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/token`,
      jwks_uri: `${ISSUER}/jwks`,
      introspection_endpoint: `${ISSUER}/introspect`,
      revocation_endpoint: `${ISSUER}/revoke`,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:token-exchange'],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      access_token_signing_alg_values_supported: ['ES256'],
      // RFC 9396 §10, and Baton's task endpoints (docs/endpoints.md).
      authorization_details_types_supported: ['tool_call'],
      task_completion_endpoint: `${ISSUER}/tasks/{txn}/complete`,
      task_renewal_endpoint: `${ISSUER}/tasks/{txn}/renew`,
    });
    expect(m.scopes_supported).toEqual(expect.arrayContaining(['tickets:read', 'billing:read']));
  });

  test('healthz answers while the process is up; readyz when the store answers and marks are fresh', async () => {
    expect(await (await fetch(`${b.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const r = await fetch(`${b.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      status: 'ready',
      store: 'up',
      marks_fresh: true,
      policy_version: null,
    });
  });

  test('readyz is 503 when the store does not answer', async () => {
    const store = new MemoryStore(STORE_LIMITS);
    const down = await startBaton(testConfig(up), { store });
    try {
      store.ping = async () => {
        throw new Error('down');
      };
      const r = await fetch(`${down.url}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ status: 'unavailable', store: 'down' });
    } finally {
      await down.close();
      await store.close();
    }
  });

  test('unknown routes answer JSON 404', async () => {
    const r = await fetch(`${b.url}/nope`);
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: 'not_found' });
  });

  test('/metrics exposes request, issuance and freshness series in Prometheus format', async () => {
    const task = await startTaskToken(b.url, up);
    await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS });
    const r = await fetch(`${b.url}/metrics`);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    expect(text).toMatch(/baton_tokens_issued_total\{operation="tool_token"\} [1-9]/);
    expect(text).toMatch(/baton_tokens_issued_total\{operation="start_task"\} [1-9]/);
    expect(text).toMatch(/baton_http_requests_total\{route="\/token",status="200"\} [1-9]/);
    expect(text).toContain('baton_revocation_marks_fresh 1');
    expect(text).toMatch(/baton_revocation_marks_held \d+/);
    expect(text).not.toContain(task.split('.')[2]!);
  });
});
