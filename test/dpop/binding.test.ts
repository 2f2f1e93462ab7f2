/**
 * DPoP binding along a task (RFC 9449 §6, RFC 8693 §2.2.2), over real HTTP (memory store):
 * cnf.jkt on every token of a bound chain, a bound subject only with its key, no downgrade,
 * upstream cnf, the hand-off rule (docs/tokens.md, "Who may do what"), introspection, revocation.
 */
import { TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import {
  ADMIN_KEY,
  BILLING,
  basic,
  claimsOf,
  introspectAs,
  ISSUER,
  postForm,
  postJson,
  type RunningBaton,
  SECRETS,
  startTestBaton,
  TICKETS,
  type Upstream,
} from '../support/fixtures.js';
import { type DpopKey, dpopExchange, dpopKey } from '../support/dpop.js';

const HTU = `${ISSUER}/token`;
const OFFER = 'urn:baton:params:oauth:token-type:hand-off-offer';

let upstream: Upstream;
let b: RunningBaton;
let url: string;
let support: DpopKey;
let billing: DpopKey;
let isolated: DpopKey;
let orchestrator: DpopKey;

beforeAll(async () => {
  ({ upstream, b, url } = await startTestBaton((raw) => {
    (raw.tools as Record<string, unknown>[])[1]!.dpopRequired = true; // BILLING
    (raw.agents as Record<string, unknown>[])[2]!.dpop = 'required'; // isolated-agent
  }));
  [support, billing, isolated, orchestrator] = await Promise.all([
    dpopKey(),
    dpopKey(),
    dpopKey(),
    dpopKey(),
  ]);
});
afterAll(() => b?.close());

const proof = (k: DpopKey) => k.proof('POST', HTU);

/** A task token of support-agent bound to its key. */
async function boundTask(): Promise<string> {
  const r = await dpopExchange(
    url,
    'support-agent',
    { subject_token: await upstream.userToken(), audience: ISSUER },
    await proof(support),
  );
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

const err = (r: { status: number; body: Record<string, unknown> }) => ({
  status: r.status,
  error: r.body.error,
  error_description: r.body.error_description,
});

describe('binding along a task', () => {
  it('a tool token from a bound task token is bound to the same key (token_type DPoP)', async () => {
    const task = await boundTask();
    const r = await dpopExchange(
      url,
      'support-agent',
      { subject_token: task, resource: TICKETS },
      await proof(support),
    );
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('DPoP');
    expect(claimsOf(r.body.access_token as string).cnf).toEqual({ jkt: support.jkt });
  });

  it('refuses a bound subject token with no proof (invalid_request): no downgrade to bearer', async () => {
    const r = await dpopExchange(url, 'support-agent', {
      subject_token: await boundTask(),
      resource: TICKETS,
    });
    expect(err(r)).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: 'subject_token is DPoP-bound; send a DPoP proof by the key it is bound to',
    });
  });

  it('refuses a bound subject token with a proof by another key (invalid_request)', async () => {
    const r = await dpopExchange(
      url,
      'support-agent',
      { subject_token: await boundTask(), resource: TICKETS },
      await proof(billing),
    );
    expect(err(r)).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: "subject_token is DPoP-bound to another key than the DPoP proof's",
    });
  });

  it('a proof on an unbound subject binds the new token', async () => {
    const unbound = await dpopExchange(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
    });
    expect(unbound.body.token_type).toBe('Bearer');
    expect(claimsOf(unbound.body.access_token as string).cnf).toBeUndefined();
    const r = await dpopExchange(
      url,
      'support-agent',
      { subject_token: unbound.body.access_token as string, resource: TICKETS },
      await proof(support),
    );
    expect(r.body.token_type).toBe('DPoP');
    expect(claimsOf(r.body.access_token as string).cnf).toEqual({ jkt: support.jkt });
  });

  it('an upstream token with cnf.jkt starts a task only with a proof by that key', async () => {
    const user = await upstream.userToken({ extra: { cnf: { jkt: support.jkt } } });
    const without = await dpopExchange(url, 'support-agent', {
      subject_token: user,
      audience: ISSUER,
    });
    expect(err(without).error).toBe('invalid_request');
    const other = await dpopExchange(
      url,
      'support-agent',
      { subject_token: user, audience: ISSUER },
      await proof(billing),
    );
    expect(err(other).error).toBe('invalid_request');
    const ok = await dpopExchange(
      url,
      'support-agent',
      { subject_token: user, audience: ISSUER },
      await proof(support),
    );
    expect(claimsOf(ok.body.access_token as string).cnf).toEqual({ jkt: support.jkt });
  });

  it('refuses an upstream token bound by a confirmation Baton cannot verify (mTLS x5t#S256)', async () => {
    const user = await upstream.userToken({ extra: { cnf: { 'x5t#S256': 'abc' } } });
    const r = await dpopExchange(
      url,
      'support-agent',
      { subject_token: user, audience: ISSUER },
      await proof(support),
    );
    expect(err(r)).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description:
        'subject_token is bound by a confirmation method Baton cannot verify (only cnf.jkt, RFC 9449)',
    });
  });

  it('an agent configured dpop: required that sends no proof is refused (invalid_dpop_proof)', async () => {
    const r = await dpopExchange(url, 'isolated-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
    });
    expect(err(r)).toEqual({
      status: 400,
      error: 'invalid_dpop_proof',
      error_description: 'agent isolated-agent must send a DPoP proof (dpop: required)',
    });
  });

  it('a tool with dpopRequired gets no bearer tokens (invalid_dpop_proof)', async () => {
    const task = await dpopExchange(url, 'billing-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
    });
    const r = await dpopExchange(url, 'billing-agent', {
      subject_token: task.body.access_token as string,
      resource: BILLING,
    });
    expect(err(r)).toEqual({
      status: 400,
      error: 'invalid_dpop_proof',
      error_description: `${BILLING} accepts DPoP-bound tokens only; send a DPoP proof`,
    });
  });
});

describe('at resource servers and Baton’s holder endpoints', () => {
  it('introspection of a bound token returns cnf.jkt and token_type DPoP', async () => {
    const tool = await dpopExchange(
      url,
      'support-agent',
      { subject_token: await boundTask(), resource: TICKETS },
      await proof(support),
    );
    const i = await introspectAs(url, 'tickets-rs', tool.body.access_token as string);
    expect(i).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: support.jkt } });
  });

  it('introspection of a bearer token says token_type Bearer and no cnf', async () => {
    const task = await dpopExchange(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
    });
    const tool = await dpopExchange(url, 'support-agent', {
      subject_token: task.body.access_token as string,
      resource: TICKETS,
    });
    const i = await introspectAs(url, 'tickets-rs', tool.body.access_token as string);
    expect(i.token_type).toBe('Bearer');
    expect(i.cnf).toBeUndefined();
  });

  it('RFC 7009 revocation of a bound token by its holder needs a proof by its key', async () => {
    const task = await boundTask();
    const auth = { authorization: basic('support-agent', SECRETS['support-agent']) };
    const without = await postForm(`${url}/revoke`, { token: task }, auth);
    expect(err(without)).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: 'token is DPoP-bound; send a DPoP proof by the key it is bound to',
    });
    const ok = await postForm(
      `${url}/revoke`,
      { token: task },
      { ...auth, dpop: await support.proof('POST', `${ISSUER}/revoke`) },
    );
    expect(ok.status).toBe(200);
    const after = await dpopExchange(
      url,
      'support-agent',
      { subject_token: task, resource: TICKETS },
      await proof(support),
    );
    expect(err(after).error_description).toBe('subject_token has been revoked');
  });
});

describe('task completion of a bound task', () => {
  it('needs a proof by the key the task was started with (htu = the completion URL)', async () => {
    const txn = claimsOf(await boundTask()).txn;
    const path = `/tasks/${encodeURIComponent(txn)}/complete`;
    const auth = { authorization: basic('support-agent', SECRETS['support-agent']) };
    const without = await postJson(`${url}${path}`, { outcome: 'succeeded' }, auth);
    expect(err(without)).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: 'this task is DPoP-bound; send a DPoP proof by the key it is bound to',
    });
    const other = await postJson(
      `${url}${path}`,
      { outcome: 'succeeded' },
      {
        ...auth,
        dpop: await billing.proof('POST', `${ISSUER}${path}`),
      },
    );
    expect(err(other).error).toBe('invalid_request');
    const ok = await postJson(
      `${url}${path}`,
      { outcome: 'succeeded' },
      {
        ...auth,
        dpop: await support.proof('POST', `${ISSUER}${path}`),
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('completed');
  });
});

describe('the hand-off rule: a bound task token changes hands only with a proof by its key', () => {
  it('refuses an agent in handOffTo holding a stolen copy of a bound task token (no proof, or its own)', async () => {
    const task = await boundTask();
    const bare = await dpopExchange(url, 'billing-agent', {
      subject_token: task,
      audience: ISSUER,
    });
    expect(err(bare).error).toBe('invalid_request');
    const own = await dpopExchange(
      url,
      'billing-agent',
      { subject_token: task, audience: ISSUER },
      await proof(billing),
    );
    expect(err(own)).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: "subject_token is DPoP-bound to another key than the DPoP proof's",
    });
  });

  it('the current actor offers the task (its proof), the new agent redeems it once (its proof) and holds it bound to its key', async () => {
    const task = await boundTask();
    const offer = await dpopExchange(
      url,
      'support-agent',
      { subject_token: task, audience: ISSUER, hand_off_to: 'billing-agent' },
      await proof(support),
    );
    expect(offer.status).toBe(200);
    expect(offer.body).toMatchObject({ issued_token_type: OFFER, token_type: 'N_A' });
    expect(offer.body.expires_in).toBeLessThanOrEqual(60);
    const redeem = (as: 'billing-agent' | 'isolated-agent', k: DpopKey) =>
      proof(k).then((p) =>
        dpopExchange(
          url,
          as,
          {
            subject_token: offer.body.access_token as string,
            subject_token_type: OFFER,
            audience: ISSUER,
          },
          p,
        ),
      );
    const wrong = await redeem('isolated-agent', isolated);
    expect(err(wrong)).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: 'this hand-off offer names billing-agent, not isolated-agent',
    });
    const taken = await redeem('billing-agent', billing);
    expect(taken.status).toBe(200);
    expect(taken.body.token_type).toBe('DPoP');
    const c = claimsOf(taken.body.access_token as string);
    expect(c.cnf).toEqual({ jkt: billing.jkt });
    expect(c.act).toEqual({ sub: 'billing-agent', act: { sub: 'support-agent' } });
    expect(c.txn).toBe(claimsOf(task).txn);
    expect(err(await redeem('billing-agent', billing))).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: 'this hand-off offer has been redeemed already',
    });
    // The offer and its redemption are both in the task's story, in that order.
    const story = (await (
      await fetch(`${url}/admin/tasks/${c.txn}/events`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      })
    ).json()) as { events: { type: string; detail?: Record<string, unknown> }[] };
    const offered = story.events.findIndex((e) => e.type === 'hand_off_offered');
    expect(story.events[offered]?.detail).toMatchObject({
      from: 'support-agent',
      to: 'billing-agent',
      parent: claimsOf(task).jti,
      offer: claimsOf(offer.body.access_token as string).jti,
    });
    const redeemed = story.events.findIndex(
      (e) => e.type === 'token_issued' && e.detail?.operation === 'hand_off',
    );
    expect(redeemed).toBeGreaterThan(offered);
    // The new holder's key works for tool tokens; the old one no longer does for the new token.
    const tool = await dpopExchange(
      url,
      'billing-agent',
      { subject_token: taken.body.access_token as string, resource: TICKETS },
      await proof(billing),
    );
    expect(claimsOf(tool.body.access_token as string).cnf).toEqual({ jkt: billing.jkt });
  });

  it('redeeming an offer needs the new agent’s own proof', async () => {
    const offer = await dpopExchange(
      url,
      'support-agent',
      { subject_token: await boundTask(), audience: ISSUER, hand_off_to: 'billing-agent' },
      await proof(support),
    );
    const r = await dpopExchange(url, 'billing-agent', {
      subject_token: offer.body.access_token as string,
      subject_token_type: OFFER,
      audience: ISSUER,
    });
    expect(err(r)).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: 'redeem a hand-off offer with a DPoP proof of your own key',
    });
  });

  it('only the current actor, with its proof, can make an offer; and only to an agent of its handOffTo', async () => {
    const task = await boundTask();
    const thief = await dpopExchange(
      url,
      'billing-agent',
      { subject_token: task, audience: ISSUER, hand_off_to: 'billing-agent' },
      await proof(billing),
    );
    expect(err(thief).error).toBe('invalid_request');
    const outside = await dpopExchange(
      url,
      'support-agent',
      { subject_token: task, audience: ISSUER, hand_off_to: 'orchestrator' },
      await proof(support),
    );
    expect(err(outside)).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description:
        'agent support-agent may not hand a task to orchestrator (rule agents[support-agent].handOffTo)',
    });
  });

  it('actor_token variant: the bound current actor naming the next agent by actor_token gets an offer, not a token', async () => {
    const start = await dpopExchange(
      url,
      'orchestrator',
      { subject_token: await upstream.userToken(), audience: ISSUER },
      await proof(orchestrator),
    );
    const r = await dpopExchange(
      url,
      'orchestrator',
      {
        subject_token: start.body.access_token as string,
        audience: ISSUER,
        actor_token: await upstream.userToken({ sub: 'billing-agent' }),
        actor_token_type: TOKEN_TYPE_ACCESS,
      },
      await proof(orchestrator),
    );
    expect(r.status).toBe(200);
    expect(r.body.issued_token_type).toBe(OFFER);
  });

  it('the unbound hand-off keeps working where DPoP is not used', async () => {
    const task = await dpopExchange(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
    });
    const r = await dpopExchange(url, 'billing-agent', {
      subject_token: task.body.access_token as string,
      audience: ISSUER,
    });
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('Bearer');
  });
});
