/**
 * A client assertion at POST /tasks/{txn}/complete names Baton in `aud` as at every endpoint
 * (RFC 7523 §3: the audience identifies the authorization server; its endpoint URL may be used):
 * the issuer, or this endpoint's own URL `<issuer>/tasks/{txn}/complete`. Nothing else: not
 * `<issuer>/tasks` (which the docs once named), not another task's URL, not another endpoint.
 * The docs say exactly that. Over HTTP, memory store.
 */
import { readFileSync } from 'node:fs';
import type { CryptoKey } from 'jose';
import {
  assertionForm,
  claimsOf,
  clientAssertion,
  ISSUER,
  makeClientKey,
  postJson,
  startTestBaton,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

const AGENT = 'jwt-agent';
let upstream: Upstream;
let b: RunningBaton;
let url: string;
let key: CryptoKey;

beforeAll(async () => {
  const k = await makeClientKey();
  key = k.privateKey;
  ({ upstream, b, url } = await startTestBaton((raw) => {
    (raw.agents as unknown[]).push({
      id: AGENT,
      auth: { method: 'private_key_jwt', jwks: k.jwks },
      taskScopes: ['tickets:read'],
    });
  }));
});
afterAll(() => b?.close());

/** Starts a task as the jwt agent (its assertion's `aud` = the issuer); returns its txn. */
async function startOwnTask(): Promise<string> {
  const r = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token: await upstream.userToken({ scope: 'tickets:read' }),
      audience: ISSUER,
      ...assertionForm(await clientAssertion(key, AGENT, { aud: ISSUER })),
    }),
  });
  const body = (await r.json()) as Record<string, unknown>;
  if (r.status !== 200) throw new Error(`task start ${r.status} ${JSON.stringify(body)}`);
  return claimsOf(body.access_token as string).txn;
}

const complete = async (txn: string, aud: string) =>
  postJson(`${url}/tasks/${encodeURIComponent(txn)}/complete`, {
    outcome: 'succeeded',
    ...assertionForm(await clientAssertion(key, AGENT, { aud })),
  });

it.each([
  ['the issuer', () => ISSUER],
  ['this endpoint’s URL', (txn: string) => `${ISSUER}/tasks/${txn}/complete`],
])('accepts aud = %s', async (_what, aud) => {
  const txn = await startOwnTask();
  const r = await complete(txn, aud(txn));
  expect({ status: r.status, status_of_task: r.body.status }).toEqual({
    status: 200,
    status_of_task: 'completed',
  });
});

it.each([
  ['<issuer>/tasks', () => `${ISSUER}/tasks`],
  ['another task’s completion URL', () => `${ISSUER}/tasks/another-task/complete`],
  ['the token endpoint', () => `${ISSUER}/token`],
  ['the issuer with a trailing slash', () => `${ISSUER}/`],
])('refuses aud = %s (invalid_client) and leaves the task open', async (_what, aud) => {
  const txn = await startOwnTask();
  const r = await complete(txn, aud());
  expect({ status: r.status, error: r.body.error }).toEqual({
    status: 401,
    error: 'invalid_client',
  });
  expect((await b.baton.ctx.store.getTask(txn))?.status).toBe('open');
});

it('docs/endpoints.md names exactly the accepted values for task completion', () => {
  const doc = readFileSync(new URL('../../docs/endpoints.md', import.meta.url), 'utf8');
  expect(doc).toContain('`<issuer>/tasks/{txn}/complete`, the URL the request is sent to');
  expect(doc).not.toMatch(/for task completion: `<issuer>\/tasks`\)/);
});
