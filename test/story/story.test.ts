/**
 * The whole story (docs/walkthrough.md) over real HTTP, with the REAL upstream IdP (the embedded
 * oidc-provider of src/demo/idp.ts, trusted through its JWKS URI): user token -> task token ->
 * two tool tokens -> hand-off -> tool token for the sub-agent -> introspect every tool token ->
 * complete -> all inactive. Then the rules of task completion. Run once on the memory store and
 * once on the Redis store (the real redis-server at testRedisUrl(), under a unique key prefix).
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startDemoIdp, type DemoIdp } from '../../src/demo/idp.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  adminTask,
  BILLING,
  claimsOf,
  completeTaskAs,
  countTreeTokens,
  credentials,
  exchange,
  exchangeOk,
  introspectAs,
  ISSUER,
  SECRETS,
  startBaton,
  TICKETS,
  basic,
  type RunningBaton,
} from '../support/fixtures.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import {
  aliceToken,
  deleteRedisKeysUnder,
  idpConfig,
  INTROSPECTION_FIELDS,
  postComplete,
  redisKeysUnder,
  STORY_SCOPE,
  type StoreInput,
} from '../support/story.js';
import type { BatonClaims } from '../../src/tokens/claims.js';

const scopeSet = (s: unknown) => new Set(String(s).split(' ').filter(Boolean));

interface Variant {
  name: string;
  store: () => StoreInput;
}
const VARIANTS: Variant[] = [
  { name: 'memory', store: () => ({ kind: 'memory' }) },
  { name: 'redis', store: () => ({ kind: 'redis', url: testRedisUrl(), prefix: uniquePrefix() }) },
];

describe.each(VARIANTS)('$name store', ({ name, store }) => {
  let idp: DemoIdp;
  let b: RunningBaton;
  let url: string;
  let storeCfg: StoreInput;

  beforeAll(async () => {
    idp = await startDemoIdp({ audience: ISSUER });
    storeCfg = store();
    // No store passed: bootBaton opens the one the config names (memory, or Redis at url+prefix).
    b = await startBaton(idpConfig(idp, { store: storeCfg }));
    url = b.url;
  });
  afterAll(async () => {
    await b?.close();
    await idp?.close();
    if (storeCfg?.kind === 'redis') await deleteRedisKeysUnder(storeCfg.url, storeCfg.prefix);
  });

  /** A fresh task of support-agent with one tickets tool token (for the completion rules). */
  async function freshTask(): Promise<{ task: string; txn: string; tool: string }> {
    const task = (
      await exchangeOk(url, 'support-agent', {
        subject_token: await aliceToken(idp),
        audience: ISSUER,
      })
    ).token;
    const tool = (
      await exchangeOk(url, 'support-agent', {
        subject_token: task,
        resource: TICKETS,
        scope: 'tickets:read',
      })
    ).token;
    return { task, txn: claimsOf(task).txn, tool };
  }
  const isActive = async (rs: 'tickets-rs' | 'billing-rs', token: string) =>
    (await introspectAs(url, rs, token)).active === true;

  describe('the whole story: user token -> task -> tool tokens -> hand-off -> sub-agent tool token -> complete', () => {
    let userToken: string;
    let task: { token: string; claims: BatonClaims; body: Record<string, unknown> };
    let read: { token: string; claims: BatonClaims };
    let write: { token: string; claims: BatonClaims };
    let delegated: { token: string; claims: BatonClaims };
    let billing: { token: string; claims: BatonClaims };
    const PURPOSE = 'Refund the duplicate charge on ticket T-1042';

    it('the real IdP issues alice an ES256 at+jwt user token whose audience is Baton', async () => {
      userToken = await aliceToken(idp);
      expect(decodeProtectedHeader(userToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      const c = decodeJwt(userToken);
      expect(c.iss).toBe(idp.issuer);
      expect(c.aud).toBe(ISSUER);
      expect(c.sub).toBe('alice@example.com');
      expect(scopeSet(c.scope)).toEqual(scopeSet(STORY_SCOPE));
    });

    it('support-agent starts a task from it: task token (aud = Baton, new txn, act = support-agent, client_id = support-agent) with the RFC 8693 response and no-store', async () => {
      const r = await exchange(url, 'support-agent', {
        subject_token: userToken,
        audience: ISSUER,
        purpose: PURPOSE,
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('pragma')).toBe('no-cache');
      expect(r.body).toMatchObject({
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
      });
      expect(typeof r.body.expires_in).toBe('number');
      const token = r.body.access_token as string;
      task = { token, claims: claimsOf(token), body: r.body };
      expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
      expect(task.claims).toMatchObject({
        iss: ISSUER,
        aud: ISSUER,
        sub: 'alice@example.com',
        client_id: 'support-agent',
        act: { sub: 'support-agent' },
      });
      expect(typeof task.claims.txn).toBe('string');
      expect(scopeSet(task.claims.scope)).toEqual(scopeSet(STORY_SCOPE));
      expect(r.body.scope).toBe(task.claims.scope);
      expect(task.claims.exp).toBeLessThanOrEqual(decodeJwt(userToken).exp!);
    });

    it('the task is recorded with its owner, its user and its stated purpose', async () => {
      const t = await adminTask(url, task.claims.txn);
      expect(t.status).toBe(200);
      expect(t.body.task).toMatchObject({
        txn: task.claims.txn,
        owner: 'support-agent',
        sub: 'alice@example.com',
        purpose: PURPOSE,
        status: 'open',
      });
    });

    it(`the task lives in the configured ${name} store${name === 'redis' ? ', under its key prefix' : ''}`, async () => {
      const txn = task.claims.txn;
      if (storeCfg.kind === 'redis') {
        expect(b.baton.ctx.store).toBeInstanceOf(RedisStore);
        const keys = await redisKeysUnder(storeCfg.url, storeCfg.prefix);
        expect(keys).toEqual(
          expect.arrayContaining([
            `${storeCfg.prefix}{${txn}}:task`,
            `${storeCfg.prefix}{${txn}}:tok`,
          ]),
        );
      } else {
        expect(b.baton.ctx.store).toBeInstanceOf(MemoryStore);
        expect(await b.baton.ctx.store.getTask(txn)).toMatchObject({ txn, owner: 'support-agent' });
      }
    });

    it('the current actor gets one tool token per tool call: aud = exactly that tool, same txn, sub and act, the scope asked for, never outliving the task', async () => {
      const r1 = await exchangeOk(url, 'support-agent', {
        subject_token: task.token,
        resource: TICKETS,
        scope: 'tickets:read',
      });
      const r2 = await exchangeOk(url, 'support-agent', {
        subject_token: task.token,
        resource: TICKETS,
        scope: 'tickets:write',
      });
      read = r1;
      write = r2;
      for (const [t, scope] of [
        [read, 'tickets:read'],
        [write, 'tickets:write'],
      ] as const) {
        expect(t.claims).toMatchObject({
          iss: ISSUER,
          aud: TICKETS,
          sub: 'alice@example.com',
          client_id: 'support-agent',
          txn: task.claims.txn,
          act: { sub: 'support-agent' },
          scope,
        });
        expect(t.claims.exp).toBeLessThanOrEqual(task.claims.exp);
      }
      expect(read.claims.jti).not.toBe(write.claims.jti);
    });

    it('billing-agent takes the task over: same txn and sub, client_id = billing-agent, act nests {billing-agent, act: {support-agent}}, scope within task ∩ its task scopes', async () => {
      delegated = await exchangeOk(url, 'billing-agent', {
        subject_token: task.token,
        audience: ISSUER,
      });
      expect(delegated.claims).toMatchObject({
        iss: ISSUER,
        aud: ISSUER,
        sub: 'alice@example.com',
        client_id: 'billing-agent',
        txn: task.claims.txn,
        act: { sub: 'billing-agent', act: { sub: 'support-agent' } },
      });
      expect(scopeSet(delegated.claims.scope)).toEqual(new Set(['tickets:read', 'billing:read']));
      expect(delegated.claims.exp).toBeLessThanOrEqual(task.claims.exp);
    });

    it('the sub-agent gets a tool token for its own tool (billing), carrying the nested act chain', async () => {
      billing = await exchangeOk(url, 'billing-agent', {
        subject_token: delegated.token,
        resource: BILLING,
        scope: 'billing:read',
      });
      expect(billing.claims).toMatchObject({
        aud: BILLING,
        sub: 'alice@example.com',
        client_id: 'billing-agent',
        txn: task.claims.txn,
        scope: 'billing:read',
        act: { sub: 'billing-agent', act: { sub: 'support-agent' } },
      });
    });

    it('every tool token introspects active to its own resource server, with exactly the documented fields', async () => {
      const cases = [
        ['tickets-rs', read],
        ['tickets-rs', write],
        ['billing-rs', billing],
      ] as const;
      for (const [rs, t] of cases) {
        const r = await introspectAs(url, rs, t.token);
        expect(Object.keys(r).sort()).toEqual([...INTROSPECTION_FIELDS]);
        expect(r).toEqual({
          active: true,
          scope: t.claims.scope,
          client_id: t.claims.client_id,
          sub: 'alice@example.com',
          aud: t.claims.aud,
          iss: ISSUER,
          exp: t.claims.exp,
          iat: t.claims.iat,
          nbf: t.claims.nbf,
          jti: t.claims.jti,
          token_type: 'Bearer',
          txn: task.claims.txn,
          act: t.claims.act,
        });
      }
    });

    it('a tool token is inactive to another resource server, and a task token is active to none', async () => {
      expect(await introspectAs(url, 'billing-rs', read.token)).toEqual({ active: false });
      expect(await introspectAs(url, 'tickets-rs', billing.token)).toEqual({ active: false });
      for (const rs of ['tickets-rs', 'billing-rs'] as const) {
        expect(await introspectAs(url, rs, task.token)).toEqual({ active: false });
        expect(await introspectAs(url, rs, delegated.token)).toEqual({ active: false });
      }
    });

    it('the owner completes the task and is told it ended all 5 tokens of the task', async () => {
      const r = await postComplete(
        url,
        task.claims.txn,
        { outcome: 'succeeded', summary: 'refund issued' },
        credentials('support-agent').headers,
      );
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        txn: task.claims.txn,
        status: 'completed',
        outcome: 'succeeded',
        tokens_ended: 5,
        already_ended: false,
      });
    });

    it('after completion every tool token introspects exactly {"active": false}', async () => {
      expect(await introspectAs(url, 'tickets-rs', read.token)).toEqual({ active: false });
      expect(await introspectAs(url, 'tickets-rs', write.token)).toEqual({ active: false });
      expect(await introspectAs(url, 'billing-rs', billing.token)).toEqual({ active: false });
    });

    it('after completion the task token can no longer be exchanged, for a tool or a hand-off (invalid_request)', async () => {
      const tool = await exchange(url, 'support-agent', {
        subject_token: task.token,
        resource: TICKETS,
        scope: 'tickets:read',
      });
      expect(tool.status).toBe(400);
      expect(tool.body.error).toBe('invalid_request');
      const hand = await exchange(url, 'billing-agent', {
        subject_token: task.token,
        audience: ISSUER,
      });
      expect(hand.status).toBe(400);
      expect(hand.body.error).toBe('invalid_request');
      expect(tool.body).not.toHaveProperty('access_token');
    });

    it('after completion the delegated task token can no longer be exchanged (invalid_request)', async () => {
      const tool = await exchange(url, 'billing-agent', {
        subject_token: delegated.token,
        resource: BILLING,
        scope: 'billing:read',
      });
      expect(tool.status).toBe(400);
      expect(tool.body.error).toBe('invalid_request');
      const back = await exchange(url, 'support-agent', {
        subject_token: delegated.token,
        audience: ISSUER,
      });
      expect(back.status).toBe(400);
      expect(back.body.error).toBe('invalid_request');
    });

    it('the admin view shows the task completed with its outcome and summary, and every one of its 5 tokens ended', async () => {
      const t = await adminTask(url, task.claims.txn);
      expect(t.status).toBe(200);
      expect(t.body.task).toMatchObject({
        status: 'completed',
        outcome: 'succeeded',
        summary: 'refund issued',
        endedBy: 'support-agent',
      });
      expect(countTreeTokens(t.body.tokens)).toBe(5);
      const states: string[] = [];
      const walk = (nodes: { state: string; children: unknown }[]) =>
        nodes.forEach((n) => (states.push(n.state), walk(n.children as never)));
      walk(t.body.tokens as never);
      expect(new Set(states)).toEqual(new Set(['task_ended']));
    });
  });

  describe('task completion rules (POST /tasks/{txn}/complete)', () => {
    it('is idempotent: a second call answers 200 with already_ended and 0 tokens ended, and the first outcome stays recorded', async () => {
      const { txn, tool } = await freshTask();
      const first = await completeTaskAs(url, 'support-agent', txn, 'failed');
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        status: 'completed',
        tokens_ended: 2,
        already_ended: false,
      });
      const again = await completeTaskAs(url, 'support-agent', txn, 'failed');
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        txn,
        status: 'completed',
        tokens_ended: 0,
        already_ended: true,
      });
      expect(await isActive('tickets-rs', tool)).toBe(false);
      expect((await adminTask(url, txn)).body.task).toMatchObject({
        status: 'completed',
        outcome: 'failed',
      });
    });

    it('a repeated call with another outcome does not rewrite the recorded outcome', async () => {
      const { txn } = await freshTask();
      expect((await completeTaskAs(url, 'support-agent', txn, 'succeeded')).status).toBe(200);
      expect((await completeTaskAs(url, 'support-agent', txn, 'cancelled')).status).toBe(200);
      expect((await adminTask(url, txn)).body.task).toMatchObject({
        status: 'completed',
        outcome: 'succeeded',
      });
    });

    it('an idempotent repeat reports the outcome the task ended with, not the one the repeat asked for', async () => {
      const { txn } = await freshTask();
      await completeTaskAs(url, 'support-agent', txn, 'succeeded');
      const again = await completeTaskAs(url, 'support-agent', txn, 'cancelled');
      expect(again.body).toMatchObject({ already_ended: true, outcome: 'succeeded' });
    });

    it('another agent gets 403 access_denied, even the sub-agent now holding the task, and the task stays open', async () => {
      const { task, txn, tool } = await freshTask();
      await exchangeOk(url, 'billing-agent', { subject_token: task, audience: ISSUER });
      for (const other of ['billing-agent', 'isolated-agent'] as const) {
        const r = await completeTaskAs(url, other, txn);
        expect(r.status).toBe(403);
        expect(r.body.error).toBe('access_denied');
      }
      expect(await isActive('tickets-rs', tool)).toBe(true);
      expect((await adminTask(url, txn)).body.task).toMatchObject({ status: 'open' });
    });

    it('no client credential is 401 invalid_client with WWW-Authenticate, and the task stays open', async () => {
      const { txn, tool } = await freshTask();
      const r = await postComplete(url, txn, { outcome: 'succeeded' });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(await isActive('tickets-rs', tool)).toBe(true);
    });

    it('a wrong client secret is 401 invalid_client, and the task stays open', async () => {
      const { txn, tool } = await freshTask();
      const r = await postComplete(
        url,
        txn,
        { outcome: 'succeeded' },
        { authorization: basic('support-agent', `${SECRETS['support-agent']}x`) },
      );
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
      expect(await isActive('tickets-rs', tool)).toBe(true);
    });

    it('an unknown task is 404', async () => {
      const r = await completeTaskAs(url, 'support-agent', '00000000-0000-4000-8000-000000000000');
      expect(r.status).toBe(404);
      expect(r.body.error).toBe('not_found');
    });

    it.each([
      ['without outcome', { summary: 'done' }],
      ['with an outcome outside succeeded|failed|cancelled', { outcome: 'done' }],
      ['with a summary that is not a string', { outcome: 'succeeded', summary: 42 }],
      ['with a summary over 2000 characters', { outcome: 'succeeded', summary: 'x'.repeat(2001) }],
      ['with an unknown member', { outcome: 'succeeded', reason: 'x' }],
      ['that is a JSON array', [{ outcome: 'succeeded' }]],
      ['that is not JSON', '{"outcome": '],
    ])('a body %s is 400 invalid_request, and the task stays open', async (_what, body) => {
      const { txn, tool } = await freshTask();
      const r = await postComplete(url, txn, body, credentials('support-agent').headers);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
      expect(await isActive('tickets-rs', tool)).toBe(true);
    });
  });
});
