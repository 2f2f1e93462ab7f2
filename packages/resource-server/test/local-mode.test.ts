import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { BatonVerifier } from '../src/index.js';
import { createKey } from '../../../src/keys/keyset.js';
import {
  ADMIN_KEY,
  BILLING,
  claimsOf,
  completeTaskAs,
  exchangeOk,
  mintWithBatonKey,
  revokeAs,
  startTaskToken,
  startTestBaton,
  TICKETS,
  type RunningBaton,
  type Upstream,
} from '../../../test/support/index.js';
import { bearer, ticketsVerifier, until, verdict } from './helpers.js';

/** Local mode against a real Baton and its real feed (memory store). */
describe('local mode: JWT check + revocation feed', () => {
  let upstream: Upstream;
  let b: RunningBaton;
  let url: string;
  let v: BatonVerifier;

  beforeAll(async () => {
    ({ upstream, b, url } = await startTestBaton());
    v = ticketsVerifier(url);
    await v.ready();
  });
  afterAll(async () => {
    await v.close();
    await b.close();
  });

  const toolToken = async (agent: 'support-agent' | 'billing-agent' = 'support-agent') => {
    const task = await startTaskToken(url, upstream, agent);
    const tool = await exchangeOk(url, agent, {
      subject_token: task,
      resource: TICKETS,
      scope: 'tickets:read',
    });
    return { task, tool: tool.token };
  };
  const admin = (path: string) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });

  test('accepts a live tool token and returns the typed principal', async () => {
    const { tool } = await toolToken();
    const p = await v.verify(bearer(tool), { scope: 'tickets:read' });
    const c = claimsOf(tool);
    expect(p).toMatchObject({
      sub: 'alice@example.com',
      actors: ['support-agent'],
      act: { sub: 'support-agent' },
      txn: c.txn,
      client_id: 'support-agent',
      scope: ['tickets:read'],
      tokenType: 'Bearer',
      aud: TICKETS,
    });
    expect(v.feedIsFresh()).toBe(true);
  });

  test('no token: 401 with both challenges, no error code, resource_metadata', async () => {
    const e = await v
      .verify({ method: 'GET', url: 'https://tools.test/x', headers: {} })
      .catch((x) => x);
    expect(e.status).toBe(401);
    expect(e.headers['WWW-Authenticate']).toBe(
      'Bearer resource_metadata="https://tools.test/.well-known/oauth-protected-resource/tickets", ' +
        'DPoP resource_metadata="https://tools.test/.well-known/oauth-protected-resource/tickets", ' +
        'algs="ES256 ES384 EdDSA Ed25519 PS256 RS256"',
    );
  });

  test('insufficient_scope (403) lists every scope the operation needs', async () => {
    const { tool } = await toolToken();
    const e = await v
      .verify(bearer(tool), { scope: ['tickets:read', 'tickets:write'] })
      .catch((x) => x);
    expect(e.status).toBe(403);
    expect(e.code).toBe('insufficient_scope');
    expect(e.headers['WWW-Authenticate']).toMatch(
      /^Bearer error="insufficient_scope", error_description="[^"]+", scope="tickets:read tickets:write"/,
    );
  });

  test('refuses a token for another audience (invalid_token)', async () => {
    const task = await startTaskToken(url, upstream, 'billing-agent');
    const t = await exchangeOk(url, 'billing-agent', { subject_token: task, resource: BILLING });
    const e = await v.verify(bearer(t.token)).catch((x) => x);
    expect(e.code).toBe('invalid_token');
    expect(e.description).toMatch(/audience/);
    // A task token (aud = Baton) is no tool token either.
    expect(await verdict(v, bearer(task))).toBe('invalid_token');
  });

  test('refuses an expired token and one with typ other than at+jwt', async () => {
    const c = claimsOf((await toolToken()).tool);
    const now = Math.floor(Date.now() / 1000);
    const expired = await mintWithBatonKey(b.baton, {
      ...c,
      iat: now - 600,
      nbf: now - 600,
      exp: now - 60,
    });
    const e = await v.verify(bearer(expired)).catch((x) => x);
    expect([e.code, e.description]).toEqual(['invalid_token', 'the token has expired']);
    const k = b.baton.ctx.keys.signingKey();
    const plainJwt = await new SignJWT({ ...c, jti: randomUUID() })
      .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: 'JWT' })
      .sign(k.privateKey);
    const t = await v.verify(bearer(plainJwt)).catch((x) => x);
    expect([t.code, t.description]).toEqual(['invalid_token', "the token's typ is not valid here"]);
  });

  test('a token revoked at /revoke (and its descendants) is refused once the feed says so', async () => {
    const { task, tool } = await toolToken();
    expect(await verdict(v, bearer(tool))).toBe('ok');
    // Revoking the task token kills the tool token minted from it (lineage.anc).
    expect(await revokeAs(url, 'support-agent', task)).toBe(200);
    expect(await until(() => verdict(v, bearer(tool)), 'invalid_token')).toBe('invalid_token');
  });

  test('task completion ends every token of the task', async () => {
    const { tool } = await toolToken();
    expect(await verdict(v, bearer(tool))).toBe('ok');
    expect((await completeTaskAs(url, 'support-agent', claimsOf(tool).txn)).status).toBe(200);
    expect(await until(() => verdict(v, bearer(tool)), 'invalid_token')).toBe('invalid_token');
  });

  test('agent and user marks reach local checks', async () => {
    const a = await toolToken('billing-agent');
    const u = await toolToken('support-agent');
    expect(await verdict(v, bearer(a.tool))).toBe('ok');
    expect((await admin('/admin/agents/billing-agent/revoke')).status).toBe(200);
    expect(await until(() => verdict(v, bearer(a.tool)), 'invalid_token')).toBe('invalid_token');
    expect(await verdict(v, bearer(u.tool))).toBe('ok');
    expect(
      (await admin(`/admin/users/${encodeURIComponent('alice@example.com')}/revoke`)).status,
    ).toBe(200);
    expect(await until(() => verdict(v, bearer(u.tool)), 'invalid_token')).toBe('invalid_token');
    // A task started after the mark is good again.
    expect(await verdict(v, bearer((await toolToken()).tool))).toBe('ok');
  });

  test('JWKS rotation: a token signed by a new key is accepted after one refetch', async () => {
    const before = (await toolToken()).tool;
    expect(await verdict(v, bearer(before))).toBe('ok');
    const keys = b.baton.ctx.keys;
    const now = Math.floor(Date.now() / 1000);
    // The old key activated earlier, so the new one (activated now) is the one that signs.
    const old = keys.published().map((k) => ({ ...k, activateAt: k.activateAt - 60 }));
    await keys.setFiles([...old, await createKey('ES256', now)]);
    const after = (await toolToken()).tool;
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString()).kid).not.toBe(
      JSON.parse(Buffer.from(before.split('.')[0]!, 'base64url').toString()).kid,
    );
    expect(await verdict(v, bearer(after))).toBe('ok');
    expect(await verdict(v, bearer(before))).toBe('ok');
  });

  test('refuses a malformed Authorization header (400 invalid_request)', async () => {
    const e = await v
      .verify({
        method: 'GET',
        url: 'https://tools.test/x',
        headers: { authorization: ['Bearer a', 'Bearer b'] },
      })
      .catch((x) => x);
    expect([e.status, e.code]).toEqual([400, 'invalid_request']);
  });
});
