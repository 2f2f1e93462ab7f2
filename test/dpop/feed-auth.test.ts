/**
 * The revocation feed authenticates through the shared client authentication: a private_key_jwt
 * resource server opens the stream with a POST (its assertion in the form, never in a query
 * string); Basic keeps working on GET and POST; the admin key too; agents are refused.
 */
import {
  ADMIN_KEY,
  assertionForm,
  basic,
  clientAssertion,
  FORM,
  formBody,
  ISSUER,
  makeClientKey,
  type RunningBaton,
  SECRETS,
  startTestBaton,
} from '../support/fixtures.js';
import type { CryptoKey } from 'jose';

let b: RunningBaton;
let url: string;
let rsKey: CryptoKey;

beforeAll(async () => {
  const k = await makeClientKey();
  rsKey = k.privateKey;
  ({ b, url } = await startTestBaton((raw) => {
    const tickets = (raw.tools as { resourceServer: Record<string, unknown> }[])[0]!;
    tickets.resourceServer.auth = { method: 'private_key_jwt', jwks: k.jwks };
  }));
});
afterAll(() => b?.close());

/** Opens the feed, reads the status and content type, and closes it. */
async function open(
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  form?: Record<string, string>,
): Promise<{ status: number; type: string | null; body?: Record<string, unknown> }> {
  const ac = new AbortController();
  const res = await fetch(`${url}/revocations`, {
    method,
    headers: { ...headers, ...(form ? { 'content-type': FORM } : {}) },
    ...(form ? { body: formBody(form) } : {}),
    signal: ac.signal,
  });
  const type = res.headers.get('content-type');
  const body = res.status === 200 ? undefined : ((await res.json()) as Record<string, unknown>);
  ac.abort();
  return { status: res.status, type, ...(body ? { body } : {}) };
}

describe('revocation feed authentication', () => {
  it('a private_key_jwt resource server opens the stream with POST /revocations', async () => {
    const assertion = await clientAssertion(rsKey, 'tickets-rs', { aud: `${ISSUER}/revocations` });
    const r = await open('POST', {}, assertionForm(assertion));
    expect(r).toEqual({ status: 200, type: 'text/event-stream' });
  });

  it('refuses a replayed feed assertion (invalid_client)', async () => {
    const assertion = await clientAssertion(rsKey, 'tickets-rs');
    expect((await open('POST', {}, assertionForm(assertion))).status).toBe(200);
    expect((await open('POST', {}, assertionForm(assertion))).status).toBe(401);
  });

  it('Basic keeps working on GET (and on POST)', async () => {
    const h = { authorization: basic('billing-rs', SECRETS['billing-rs']) };
    expect((await open('GET', h)).status).toBe(200);
    expect((await open('POST', h, {})).status).toBe(200);
  });

  it('the admin key keeps working', async () => {
    expect((await open('GET', { authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(200);
  });

  it('refuses a wrong secret and an agent (the feed is for resource servers)', async () => {
    expect((await open('GET', { authorization: basic('billing-rs', 'wrong') })).body).toMatchObject(
      { error: 'invalid_client' },
    );
    const agent = await open('GET', {
      authorization: basic('support-agent', SECRETS['support-agent']),
    });
    expect(agent).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });
});
