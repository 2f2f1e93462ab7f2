/**
 * Exchange rules over real HTTP (memory store): task start and tool tokens (docs/tokens.md, "Who may do
 * what"; docs/endpoints.md, "POST /token"). Hand-off and actor tokens: exchange-rules-delegation.test.ts;
 * response shape and malformed requests: exchange-rules-protocol.test.ts.
 */
import {
  ADMIN_KEY,
  adminTask,
  adminTokenCount,
  BILLING,
  claimsOf,
  exchange,
  exchangeOk,
  ISSUER,
  startTaskToken,
  TICKETS,
  type RunningBaton,
  type Upstream,
  startTestBaton,
} from '../support/fixtures.js';

/** The task's audit events (GET /admin/tasks/{txn}/events). */
async function taskEvents(url: string, txn: string): Promise<{ type: string; client?: string }[]> {
  const res = await fetch(`${url}/admin/tasks/${encodeURIComponent(txn)}/events`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  return ((await res.json()) as { events: { type: string; client?: string }[] }).events;
}

const nowSec = () => Math.floor(Date.now() / 1000);
const scopeSet = (s: unknown) => new Set(String(s).split(' ').filter(Boolean));

let upstream: Upstream;
let b: RunningBaton;
let url: string;

beforeAll(async () => ({ upstream, b, url } = await startTestBaton()));
afterAll(() => b?.close());

describe('task start', () => {
  it('issues a task token: aud = Baton, sub = the user, act = {sub: agent}, client_id = agent, a new txn per task', async () => {
    const one = await exchangeOk(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
    });
    const two = await exchangeOk(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
    });
    expect(one.claims.aud).toBe(ISSUER);
    expect(one.claims.iss).toBe(ISSUER);
    expect(one.claims.sub).toBe('alice@example.com');
    expect(one.claims.act).toEqual({ sub: 'support-agent' });
    expect(one.claims.client_id).toBe('support-agent');
    expect(typeof one.claims.txn).toBe('string');
    expect(one.claims.txn).not.toBe(two.claims.txn);
  });

  it('starts a task when no target is named (audience or resource omitted)', async () => {
    const r = await exchangeOk(url, 'billing-agent', { subject_token: await upstream.userToken() });
    expect(r.claims.aud).toBe(ISSUER);
    expect(r.claims.act).toEqual({ sub: 'billing-agent' });
  });

  it('grants exactly the requested scope when it lies within user scope ∩ agent taskScopes', async () => {
    const r = await exchangeOk(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
      scope: 'billing:read tickets:read',
    });
    expect(scopeSet(r.claims.scope)).toEqual(new Set(['billing:read', 'tickets:read']));
  });

  it('grants user scope ∩ agent taskScopes when no scope is requested', async () => {
    const user = await upstream.userToken({
      scope: 'openid tickets:read tickets:write billing:read billing:export',
    });
    const r = await exchangeOk(url, 'billing-agent', { subject_token: user, audience: ISSUER });
    expect(scopeSet(r.claims.scope)).toEqual(new Set(['tickets:read', 'billing:read']));
  });

  it('refuses a scope the agent may not hold for a task (invalid_scope), never narrowing it', async () => {
    const r = await exchange(url, 'billing-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
      scope: 'tickets:read tickets:write',
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_scope');
    expect(String(r.body.error_description)).toContain('tickets:write');
  });

  it('refuses a scope the user token does not carry (invalid_scope)', async () => {
    const r = await exchange(url, 'support-agent', {
      subject_token: await upstream.userToken({ scope: 'tickets:read' }),
      audience: ISSUER,
      scope: 'tickets:write',
    });
    expect(r.body.error).toBe('invalid_scope');
  });

  it('a task token never outlives its user token (exp ≤ user token exp)', async () => {
    const user = await upstream.userToken({ expIn: 60 });
    const r = await exchangeOk(url, 'support-agent', { subject_token: user, audience: ISSUER });
    expect(r.claims.exp).toBeLessThanOrEqual(claimsOf(user).exp);
  });

  it('a task token lives at most the task TTL (exp ≤ now + defaults.taskTtlSeconds)', async () => {
    const r = await exchangeOk(url, 'support-agent', {
      subject_token: await upstream.userToken({ expIn: 7200 }),
      audience: ISSUER,
    });
    expect(r.claims.exp).toBeLessThanOrEqual(nowSec() + b.config.defaults.taskTtlSeconds);
    expect(r.claims.exp).toBeGreaterThan(nowSec());
  });

  it('accepts a purpose on task start and stores it with the task', async () => {
    const token = await startTaskToken(url, upstream, 'support-agent', {
      purpose: 'refund order #42',
    });
    const task = await adminTask(url, claimsOf(token).txn);
    expect(task.status).toBe(200);
    expect((task.body.task as Record<string, unknown>).purpose).toBe('refund order #42');
  });

  it('accepts a purpose of exactly purposeMaxLength characters', async () => {
    const r = await exchange(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      purpose: 'p'.repeat(b.config.defaults.purposeMaxLength),
    });
    expect(r.status).toBe(200);
  });

  it('refuses a purpose longer than purposeMaxLength (invalid_request)', async () => {
    const r = await exchange(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      purpose: 'p'.repeat(b.config.defaults.purposeMaxLength + 1),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses a purpose on a tool-token exchange (invalid_request)', async () => {
    const task = await startTaskToken(url, upstream);
    const r = await exchange(url, 'support-agent', {
      subject_token: task,
      resource: TICKETS,
      purpose: 'sneak a new purpose in',
    });
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses a purpose on a hand-off (invalid_request)', async () => {
    const task = await startTaskToken(url, upstream);
    const r = await exchange(url, 'billing-agent', {
      subject_token: task,
      audience: ISSUER,
      purpose: 'sneak a new purpose in',
    });
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses a user token exchanged straight for a tool (invalid_target)', async () => {
    const r = await exchange(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      resource: TICKETS,
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_target');
  });
});

describe('tool token', () => {
  let task: string;
  beforeAll(async () => {
    task = await startTaskToken(url, upstream);
  });

  it('issues a tool token: aud = exactly the tool, act, sub and txn copied, client_id = caller', async () => {
    const t = claimsOf(task);
    const r = await exchangeOk(url, 'support-agent', {
      subject_token: task,
      resource: TICKETS,
      scope: 'tickets:read',
    });
    expect(r.claims.aud).toBe(TICKETS);
    expect(r.claims.act).toEqual(t.act);
    expect(r.claims.sub).toBe(t.sub);
    expect(r.claims.txn).toBe(t.txn);
    expect(r.claims.client_id).toBe('support-agent');
    expect(r.claims.jti).not.toBe(t.jti);
  });

  it('grants task scope ∩ agent tool rule when no scope is requested', async () => {
    const r = await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS });
    expect(scopeSet(r.claims.scope)).toEqual(new Set(['tickets:read', 'tickets:write']));
  });

  it('grants exactly the requested subset of task scope ∩ agent tool rule', async () => {
    const r = await exchangeOk(url, 'support-agent', {
      subject_token: task,
      resource: TICKETS,
      scope: 'tickets:write',
    });
    expect(r.claims.scope).toBe('tickets:write');
  });

  it('refuses a scope in the task but outside the agent tool rule (invalid_scope)', async () => {
    const r = await exchange(url, 'support-agent', {
      subject_token: task,
      resource: TICKETS,
      scope: 'tickets:read billing:read',
    });
    expect(r.body.error).toBe('invalid_scope');
    expect(String(r.body.error_description)).toContain('billing:read');
  });

  it('refuses a scope in the tool rule but outside the task scope (invalid_scope)', async () => {
    const narrow = await startTaskToken(url, upstream, 'support-agent', { scope: 'tickets:read' });
    const r = await exchange(url, 'support-agent', {
      subject_token: narrow,
      resource: TICKETS,
      scope: 'tickets:write',
    });
    expect(r.body.error).toBe('invalid_scope');
  });

  it('a tool token lives at most the rule maxTtlSeconds (support-agent → tickets: 120 s)', async () => {
    const r = await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS });
    expect(r.claims.exp).toBeLessThanOrEqual(nowSec() + 120);
  });

  it('a tool token lives at most defaults.toolTokenTtlSeconds when the rule names no TTL', async () => {
    const billingTask = await startTaskToken(url, upstream, 'billing-agent');
    const r = await exchangeOk(url, 'billing-agent', {
      subject_token: billingTask,
      resource: BILLING,
    });
    expect(r.claims.exp).toBeLessThanOrEqual(nowSec() + b.config.defaults.toolTokenTtlSeconds);
  });

  it('a tool token never outlives its task token', async () => {
    const short = await exchangeOk(url, 'support-agent', {
      subject_token: await upstream.userToken({ expIn: 30 }),
    });
    const r = await exchangeOk(url, 'support-agent', {
      subject_token: short.token,
      resource: TICKETS,
    });
    expect(r.claims.exp).toBeLessThanOrEqual(short.claims.exp);
  });

  it('accepts a tool named by its name as audience (audience=tickets)', async () => {
    const r = await exchangeOk(url, 'support-agent', { subject_token: task, audience: 'tickets' });
    expect(r.claims.aud).toBe(TICKETS);
  });

  it('refuses a tool the agent is not allowed (invalid_target)', async () => {
    const r = await exchange(url, 'support-agent', { subject_token: task, resource: BILLING });
    expect(r.body.error).toBe('invalid_target');
  });

  it('refuses an unknown tool (invalid_target)', async () => {
    const r = await exchange(url, 'support-agent', {
      subject_token: task,
      resource: 'https://tools.test/unknown',
    });
    expect(r.body.error).toBe('invalid_target');
  });

  it('refuses two targets in one request (invalid_target)', async () => {
    const two = await exchange(url, 'billing-agent', {
      subject_token: await startTaskToken(url, upstream, 'billing-agent'),
      resource: [TICKETS, BILLING],
    });
    expect(two.body.error).toBe('invalid_target');
    const toolAndBaton = await exchange(url, 'support-agent', {
      subject_token: task,
      resource: TICKETS,
      audience: ISSUER,
    });
    expect(toolAndBaton.body.error).toBe('invalid_target');
  });

  it('refuses a resource that is not an absolute URI (invalid_target)', async () => {
    const r = await exchange(url, 'support-agent', { subject_token: task, resource: 'tickets' });
    expect(r.body.error).toBe('invalid_target');
  });

  it('refuses a task token presented by a client that is not its current actor (invalid_request), recording no token', async () => {
    const txn = claimsOf(task).txn;
    const tokensBefore = await adminTokenCount(url, txn);
    // billing-agent may use tickets, so only "not the current actor" can refuse this.
    const r = await exchange(url, 'billing-agent', {
      subject_token: task,
      resource: TICKETS,
      scope: 'tickets:read',
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    expect(r.body.access_token).toBeUndefined();
    // Nothing was issued: the task tree is unchanged and the audit trail shows the refusal only.
    expect(await adminTokenCount(url, txn)).toBe(tokensBefore);
    const events = await taskEvents(url, txn);
    expect(events.filter((e) => e.client === 'billing-agent').map((e) => e.type)).toEqual([
      'exchange_refused',
    ]);
  });

  it('refuses a tool token presented as subject (invalid_request)', async () => {
    const tool = await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS });
    const asTool = await exchange(url, 'support-agent', {
      subject_token: tool.token,
      resource: TICKETS,
    });
    expect(asTool.body.error).toBe('invalid_request');
    const asHandOff = await exchange(url, 'billing-agent', {
      subject_token: tool.token,
      audience: ISSUER,
    });
    expect(asHandOff.body.error).toBe('invalid_request');
  });
});
