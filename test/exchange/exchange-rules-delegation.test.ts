/**
 * Exchange rules over real HTTP (memory store): hand-off and actor_token (docs/tokens.md, "Who may do
 * what"; invariant 4). Hand-offs allowed by the test cast: support <-> billing, support -> isolated,
 * orchestrator -> billing / support; isolated-agent hands to no one.
 */
import {
  BILLING,
  claimsOf,
  exchange,
  exchangeOk,
  handOffTask,
  ISSUER,
  startTaskToken,
  TICKETS,
  type RunningBaton,
  type Upstream,
  startTestBaton,
} from '../support/fixtures.js';
import { TOKEN_TYPE_ACCESS, actorChain } from '../../src/tokens/claims.js';

const scopeSet = (s: unknown) => new Set(String(s).split(' ').filter(Boolean));

let upstream: Upstream;
let b: RunningBaton;
let url: string;

beforeAll(async () => ({ upstream, b, url } = await startTestBaton()));
afterAll(() => b?.close());

describe('hand-off', () => {
  it('billing-agent takes support-agent’s task: same txn and sub, act nested {billing, act:{support}}, client_id = billing-agent', async () => {
    const task = await startTaskToken(url, upstream);
    const r = await exchangeOk(url, 'billing-agent', { subject_token: task, audience: ISSUER });
    const t = claimsOf(task);
    expect(r.claims.aud).toBe(ISSUER);
    expect(r.claims.txn).toBe(t.txn);
    expect(r.claims.sub).toBe(t.sub);
    expect(r.claims.act).toEqual({ sub: 'billing-agent', act: { sub: 'support-agent' } });
    expect(r.claims.client_id).toBe('billing-agent');
    expect(r.claims.exp).toBeLessThanOrEqual(t.exp);
  });

  it('a hand-off grants subject scope ∩ the new agent’s taskScopes', async () => {
    const task = await startTaskToken(url, upstream); // tickets:read tickets:write billing:read
    const r = await exchangeOk(url, 'billing-agent', { subject_token: task, audience: ISSUER });
    expect(scopeSet(r.claims.scope)).toEqual(new Set(['tickets:read', 'billing:read']));
  });

  it('refuses a hand-off scope outside subject ∩ new agent taskScopes (invalid_scope)', async () => {
    const task = await startTaskToken(url, upstream);
    const r = await exchange(url, 'billing-agent', {
      subject_token: task,
      audience: ISSUER,
      scope: 'tickets:write',
    });
    expect(r.body.error).toBe('invalid_scope');
  });

  it('the new actor gets tool tokens with the delegated token; the previous actor no longer can', async () => {
    const delegated = await handOffTask(url, 'billing-agent', await startTaskToken(url, upstream));
    const ok = await exchangeOk(url, 'billing-agent', {
      subject_token: delegated,
      resource: BILLING,
    });
    expect(ok.claims.act).toEqual(claimsOf(delegated).act);
    const old = await exchange(url, 'support-agent', {
      subject_token: delegated,
      resource: TICKETS,
    });
    expect(old.body.error).toBe('invalid_request');
  });

  it('refuses a hand-off from an actor whose handOffTo does not name the taker: isolated-agent hands to no one (invalid_request)', async () => {
    const isolated = await handOffTask(url, 'isolated-agent', await startTaskToken(url, upstream));
    for (const taker of ['support-agent', 'billing-agent'] as const) {
      const r = await exchange(url, taker, { subject_token: isolated, audience: ISSUER });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    }
  });

  it('refuses support-agent’s task taken by orchestrator without an actor token: support does not hand to it (invalid_request)', async () => {
    const r = await exchange(url, 'orchestrator', {
      subject_token: await startTaskToken(url, upstream),
      audience: ISSUER,
    });
    expect(r.body.error).toBe('invalid_request');
  });

  it('allows depth 4 (support→billing→support→billing) and refuses a fifth level (invalid_request)', async () => {
    let token = await startTaskToken(url, upstream);
    for (const next of ['billing-agent', 'support-agent', 'billing-agent'] as const)
      token = await handOffTask(url, next, token);
    expect(actorChain(claimsOf(token).act)).toEqual([
      'billing-agent',
      'support-agent',
      'billing-agent',
      'support-agent',
    ]);
    const r = await exchange(url, 'support-agent', { subject_token: token, audience: ISSUER });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    expect(String(r.body.error_description)).toMatch(/depth/);
  });

  it('refuses a hand-off to yourself (invalid_request)', async () => {
    const r = await exchange(url, 'support-agent', {
      subject_token: await startTaskToken(url, upstream),
      audience: ISSUER,
    });
    expect(r.body.error).toBe('invalid_request');
  });
});

describe('actor_token', () => {
  const actor = (sub: string, extra: Record<string, unknown> = {}) =>
    upstream.userToken({ sub, extra });
  const withActor = (token: string) => ({
    actor_token: token,
    actor_token_type: TOKEN_TYPE_ACCESS,
  });

  it('orchestrator (mayPresentActorTokens) hands its task to the agent an upstream actor_token names', async () => {
    const task = await startTaskToken(url, upstream, 'orchestrator');
    const r = await exchangeOk(url, 'orchestrator', {
      subject_token: task,
      audience: ISSUER,
      ...withActor(await actor('billing-agent')),
    });
    expect(r.claims.act).toEqual({ sub: 'billing-agent', act: { sub: 'orchestrator' } });
    expect(r.claims.txn).toBe(claimsOf(task).txn);
    // docs/tokens.md: a hand-off's token is for the new actor, who presents (and may revoke) it from now on.
    expect(r.claims.client_id).toBe('billing-agent');
    // The named actor now holds the task: it gets tool tokens with it.
    const tool = await exchangeOk(url, 'billing-agent', {
      subject_token: r.token,
      resource: BILLING,
    });
    expect(tool.claims.aud).toBe(BILLING);
  });

  it('a hand-off via actor_token is still bound by the current actor’s handOffTo (invalid_request)', async () => {
    const task = await startTaskToken(url, upstream, 'orchestrator');
    const r = await exchange(url, 'orchestrator', {
      subject_token: task,
      audience: ISSUER,
      ...withActor(await actor('isolated-agent')),
    });
    expect(r.body.error).toBe('invalid_request');
  });

  it('a task started with an actor_token is bound by the caller’s handOffTo: orchestrator may not start one for isolated-agent (invalid_request)', async () => {
    // Starting a task for another agent delegates to it (invariant 4: only to agents policy names).
    const allowed = await exchange(url, 'orchestrator', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
      ...withActor(await actor('billing-agent')),
    });
    expect(allowed.status).toBe(200);
    const r = await exchange(url, 'orchestrator', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
      ...withActor(await actor('isolated-agent')),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses an actor_token presented by a caller that is neither the current nor the new actor (invalid_request)', async () => {
    const supportTask = await startTaskToken(url, upstream, 'support-agent');
    const r = await exchange(url, 'orchestrator', {
      subject_token: supportTask,
      audience: ISSUER,
      ...withActor(await actor('billing-agent')),
    });
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses an actor_token from a client not allowed to present actor tokens, on hand-off (unauthorized_client)', async () => {
    const task = await startTaskToken(url, upstream, 'support-agent');
    const r = await exchange(url, 'support-agent', {
      subject_token: task,
      audience: ISSUER,
      ...withActor(await actor('billing-agent')),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('unauthorized_client');
  });

  it('refuses an actor_token from a client not allowed to present actor tokens, on task start (unauthorized_client)', async () => {
    const r = await exchange(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
      ...withActor(await actor('billing-agent')),
    });
    expect(r.body.error).toBe('unauthorized_client');
  });

  it('refuses an actor_token that names no enabled agent (invalid_request)', async () => {
    const task = await startTaskToken(url, upstream, 'orchestrator');
    const r = await exchange(url, 'orchestrator', {
      subject_token: task,
      audience: ISSUER,
      ...withActor(await actor('alice@example.com')),
    });
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses actor_token without actor_token_type, and actor_token_type without actor_token (invalid_request)', async () => {
    const task = await startTaskToken(url, upstream, 'orchestrator');
    const noType = await exchange(url, 'orchestrator', {
      subject_token: task,
      audience: ISSUER,
      actor_token: await actor('billing-agent'),
    });
    expect(noType.body.error).toBe('invalid_request');
    const noToken = await exchange(url, 'orchestrator', {
      subject_token: task,
      audience: ISSUER,
      actor_token_type: TOKEN_TYPE_ACCESS,
    });
    expect(noToken.body.error).toBe('invalid_request');
  });

  it('refuses an actor_token on a tool-token request: unauthorized_client from an agent without mayPresentActorTokens (checked first), invalid_request from one with it', async () => {
    const task = await startTaskToken(url, upstream, 'support-agent');
    const r = await exchange(url, 'support-agent', {
      subject_token: task,
      resource: TICKETS,
      ...withActor(await actor('support-agent')),
    });
    expect(r.body.error).toBe('unauthorized_client');
    const own = await startTaskToken(url, upstream, 'orchestrator');
    const allowed = await exchange(url, 'orchestrator', {
      subject_token: own,
      resource: TICKETS,
      ...withActor(await actor('orchestrator')),
    });
    expect(allowed.body).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses a user token whose may_act names another agent (invalid_request)', async () => {
    const user = await upstream.userToken({ extra: { may_act: { sub: 'billing-agent' } } });
    const r = await exchange(url, 'support-agent', { subject_token: user, audience: ISSUER });
    expect(r.body.error).toBe('invalid_request');
  });

  it('accepts a user token whose may_act names the acting agent', async () => {
    const user = await upstream.userToken({ extra: { may_act: { sub: 'support-agent' } } });
    const r = await exchangeOk(url, 'support-agent', { subject_token: user, audience: ISSUER });
    expect(r.claims.act).toEqual({ sub: 'support-agent' });
  });

  it('honours may_act against the verified actor_token, not the caller', async () => {
    const user = await upstream.userToken({ extra: { may_act: { sub: 'billing-agent' } } });
    const ok = await exchangeOk(url, 'orchestrator', {
      subject_token: user,
      audience: ISSUER,
      ...withActor(await actor('billing-agent')),
    });
    // Starting a task for another agent is a hand-off from the start: the caller stays in the chain.
    expect(ok.claims.act).toEqual({ sub: 'billing-agent', act: { sub: 'orchestrator' } });
    const user2 = await upstream.userToken({ extra: { may_act: { sub: 'billing-agent' } } });
    const refused = await exchange(url, 'orchestrator', {
      subject_token: user2,
      audience: ISSUER,
      ...withActor(await actor('support-agent')),
    });
    expect(refused.body.error).toBe('invalid_request');
  });
});
