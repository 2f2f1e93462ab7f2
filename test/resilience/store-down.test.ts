/**
 * 503, never 500, wherever the store fails (README §6, docs/errors.md): with Redis hung
 * (SIGSTOP: the connection stays open and nothing answers), every route that touches the store
 * answers 503 `temporarily_unavailable` with `Retry-After`, within the request's store budget.
 */
import type { CryptoKey } from 'jose';
import { REDIS_STORE_DEFAULTS } from '../../src/config/defaults.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  ADMIN_KEY,
  assertionForm,
  basic,
  clientAssertion,
  claimsOf,
  exchange,
  ISSUER,
  makeClientKey,
  makeUpstream,
  postForm,
  postJson,
  SECRETS,
  startBaton,
  startTaskToken,
  testConfig,
  TICKETS,
  type HttpResult,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';
import { startRedisServer, type TestRedisServer, uniquePrefix } from '../support/redis.js';

const BUDGET_MS = 300;
/** Generous: the bound is the point, not the speed (the machine is shared). */
const WITHIN_MS = BUDGET_MS + 1500;
const JWT_AGENT = 'jwt-agent';
const JWT_TOOL = 'https://tools.test/jwt';
const JWT_RS = 'jwt-rs';

let redis: TestRedisServer;
let store: RedisStore;
let b: RunningBaton;
let up: Upstream;
let key: CryptoKey;
let txn: string;
let jwtTxn: string;
let task: string;

beforeAll(async () => {
  up = await makeUpstream();
  const k = await makeClientKey('client-1');
  key = k.privateKey;
  redis = await startRedisServer();
  store = await RedisStore.connect({
    ...REDIS_STORE_DEFAULTS,
    url: redis.url,
    prefix: uniquePrefix(),
    // As boot.ts sets it: a command off the request path is bounded by the same budget.
    commandTimeoutMs: BUDGET_MS,
  });
  const config = testConfig(up, (raw) => {
    raw.store = { requestTimeoutMs: BUDGET_MS, pingTimeoutMs: BUDGET_MS };
    (raw.agents as unknown[]).push({
      id: JWT_AGENT,
      auth: { method: 'private_key_jwt', jwks: k.jwks },
      taskScopes: ['tickets:read'],
      tools: { [TICKETS]: { scopes: ['tickets:read'] } },
    });
    (raw.tools as unknown[]).push({
      resource: JWT_TOOL,
      name: 'jwt-tool',
      scopes: ['x:read'],
      resourceServer: { clientId: JWT_RS, auth: { method: 'private_key_jwt', jwks: k.jwks } },
    });
  });
  b = await startBaton(config, { store });
  task = await startTaskToken(b.url, up);
  txn = claimsOf(task).txn;
  const jwtTask = await postForm(`${b.url}/token`, {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    subject_token: await up.userToken(),
    audience: ISSUER,
    ...assertionForm(await clientAssertion(key, JWT_AGENT)),
  });
  expect(jwtTask.status).toBe(200);
  jwtTxn = claimsOf(jwtTask.body.access_token as string).txn;
  redis.pause();
}, 30_000);

afterAll(async () => {
  redis.resume();
  await b.close();
  await store.close();
  await redis.stop();
});

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

async function timed(send: () => Promise<HttpResult>): Promise<HttpResult> {
  const started = Date.now();
  const r = await send();
  expect(Date.now() - started).toBeLessThan(WITHIN_MS);
  return r;
}

async function get(path: string, headers: Record<string, string> = admin): Promise<HttpResult> {
  const res = await fetch(`${b.url}${path}`, { headers });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : { text },
  };
}

function expectUnavailable(r: HttpResult): void {
  expect(r.status).toBe(503);
  expect(r.body.error).toBe('temporarily_unavailable');
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
}

const assertion = (aud = ISSUER) => clientAssertion(key, JWT_AGENT, { aud });

describe('with the store hung, every route that touches it answers 503 with Retry-After', () => {
  test('POST /token (client secret): 503 and no token', async () => {
    const r = await timed(() =>
      exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS }),
    );
    expectUnavailable(r);
    expect(r.body.access_token).toBeUndefined();
  });

  test('POST /token (private_key_jwt): the replay check answers 503, not invalid_client', async () => {
    const r = await timed(async () =>
      postForm(`${b.url}/token`, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token: task,
        resource: TICKETS,
        ...assertionForm(await assertion()),
      }),
    );
    expectUnavailable(r);
  });

  test('POST /introspect (private_key_jwt): the replay check answers 503', async () => {
    const a = await clientAssertion(key, JWT_RS, { aud: ISSUER });
    const r = await timed(() =>
      postForm(`${b.url}/introspect`, { token: task, ...assertionForm(a) }),
    );
    expectUnavailable(r);
  });

  test('POST /introspect (client secret): fails closed with {"active":false}', async () => {
    const r = await timed(() =>
      postForm(
        `${b.url}/introspect`,
        { token: task },
        { authorization: basic('tickets-rs', SECRETS['tickets-rs']) },
      ),
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ active: false });
  });

  test('POST /revoke (private_key_jwt): the replay check answers 503', async () => {
    const r = await timed(async () =>
      postForm(`${b.url}/revoke`, { token: task, ...assertionForm(await assertion()) }),
    );
    expectUnavailable(r);
  });

  test('POST /revoke (client secret): 503 says the outcome is unknown and a repeat is safe', async () => {
    const r = await timed(() =>
      postForm(
        `${b.url}/revoke`,
        { token: task },
        { authorization: basic('support-agent', SECRETS['support-agent']) },
      ),
    );
    expectUnavailable(r);
    expect(r.body.error_description).toContain(
      'the outcome is unknown; repeating the request is safe',
    );
  });

  test('POST /tasks/{txn}/complete (client secret): 503, outcome unknown, repeat safe', async () => {
    const r = await timed(() =>
      postJson(
        `${b.url}/tasks/${txn}/complete`,
        { outcome: 'succeeded' },
        { authorization: basic('support-agent', SECRETS['support-agent']) },
      ),
    );
    expectUnavailable(r);
    expect(r.body.error_description).toContain('repeating the request is safe');
  });

  test('POST /tasks/{txn}/complete (private_key_jwt): the replay check answers 503', async () => {
    const aud = `${ISSUER}/tasks/${jwtTxn}/complete`;
    const r = await timed(async () =>
      postJson(`${b.url}/tasks/${jwtTxn}/complete`, {
        outcome: 'succeeded',
        ...assertionForm(await assertion(aud)),
      }),
    );
    expectUnavailable(r);
  });

  test.each([
    ['the task tree', () => `/admin/tasks/${txn}`],
    ['the task events', () => `/admin/tasks/${txn}/events`],
    ['the audit stream', () => '/admin/events'],
    ['pending approvals', () => '/admin/approvals'],
    ['one approval', () => '/admin/approvals/ap-unknown'],
  ])('GET admin %s: 503', async (_what, path) => {
    expectUnavailable(await timed(() => get(path())));
  });

  test.each([
    ['a task', () => `/admin/tasks/${txn}/revoke`],
    ['an agent', () => '/admin/agents/support-agent/revoke'],
  ])('POST admin revoke %s: 503, outcome unknown, repeat safe', async (_what, path) => {
    const r = await timed(() => postJson(`${b.url}${path()}`, {}, admin));
    expectUnavailable(r);
    expect(r.body.error_description).toContain('repeating the request is safe');
  });

  test('POST admin approve: 503', async () => {
    expectUnavailable(
      await timed(() => postJson(`${b.url}/admin/approvals/ap-unknown/approve`, {}, admin)),
    );
  });

  test('GET /revocations (live): 503 before any stream is opened', async () => {
    const rs = { authorization: basic('tickets-rs', SECRETS['tickets-rs']) };
    expectUnavailable(await timed(() => get('/revocations', rs)));
  });

  test('GET /revocations with Last-Event-ID (catch-up): 503', async () => {
    const rs = {
      authorization: basic('tickets-rs', SECRETS['tickets-rs']),
      'last-event-id': '1-0',
    };
    expectUnavailable(await timed(() => get('/revocations', rs)));
  });

  test('GET /readyz: 503 within its own ping timeout', async () => {
    const r = await timed(() => get('/readyz', {}));
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ store: 'down' });
  });
});
