/**
 * POST /tasks/{txn}/renew (docs/endpoints.md): the current actor renews a long task with a fresh
 * token of the same user; the deadline moves, never past taskMaxSeconds; what is revoked stays so.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { epochSeconds } from '../../src/clock.js';
import {
  ISSUER,
  TICKETS,
  claimsOf,
  credentials,
  exchange,
  exchangeOk,
  makeUpstream,
  postJson,
  revokeAs,
  startBaton,
  startTaskToken,
  testConfig,
  testKeys,
  type ClientId,
  type HttpResult,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';
import { dpopExchange, dpopKey } from '../support/dpop.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { dropKeysUnder } from '../support/redis-keys.js';
import { adminRequest, adminRevoke } from '../support/revocation-flows.js';
import { waitFor } from '../support/store-fixtures.js';

type Store = { kind: 'memory' } | { kind: 'redis'; url: string; prefix: string };
const VARIANTS: { name: string; store: () => Store }[] = [
  { name: 'memory', store: () => ({ kind: 'memory' }) },
  { name: 'redis', store: () => ({ kind: 'redis', url: testRedisUrl(), prefix: uniquePrefix() }) },
];

function renewAs(
  url: string,
  as: ClientId,
  txn: string,
  body: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const c = credentials(as);
  return postJson(
    `${url}/tasks/${encodeURIComponent(txn)}/renew`,
    { ...body, ...c.form },
    {
      ...c.headers,
      ...headers,
    },
  );
}

describe.each(VARIANTS)('task renewal on the $name store', ({ store }) => {
  let up: Upstream;
  let b: RunningBaton;
  let storeCfg: Store;
  beforeAll(async () => {
    up = await makeUpstream();
    storeCfg = store();
    b = await startBaton(
      testConfig(up, (raw) => {
        raw.store = storeCfg;
        raw.defaults = { taskTtlSeconds: 900, taskMaxSeconds: 3600 };
      }),
    );
  });
  afterAll(async () => {
    await b.close();
    if (storeCfg.kind === 'redis') await dropKeysUnder({ url: storeCfg.url }, storeCfg.prefix);
  });

  /** A task whose user token lives `expIn` seconds (so its deadline is that close). */
  async function shortTask(expIn = 60, sub = 'alice@example.com') {
    const r = await exchange(b.url, 'support-agent', {
      subject_token: await up.userToken({ expIn, sub }),
      audience: ISSUER,
    });
    expect(r.status).toBe(200);
    const token = r.body.access_token as string;
    return { token, claims: claimsOf(token) };
  }

  test('moves the deadline to min(fresh exp, now + taskTtlSeconds, start + taskMaxSeconds); old tokens keep theirs', async () => {
    const task = await shortTask(60);
    const tool = await exchangeOk(b.url, 'support-agent', {
      subject_token: task.token,
      resource: TICKETS,
    });
    const r = await renewAs(b.url, 'support-agent', task.claims.txn, {
      task_token: task.token,
      user_token: await up.userToken({ expIn: 3600 }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const renewed = claimsOf(r.body.access_token as string);
    const now = epochSeconds();
    expect(renewed.exp).toBeGreaterThanOrEqual(now + 899);
    expect(renewed.exp).toBeLessThanOrEqual(now + 900);
    expect(r.body).toMatchObject({
      txn: task.claims.txn,
      deadline: renewed.exp,
      token_type: 'Bearer',
    });
    expect(renewed).toMatchObject({
      txn: task.claims.txn,
      sub: task.claims.sub,
      act: task.claims.act,
      aud: ISSUER,
      scope: task.claims.scope,
    });
    expect(renewed.lineage.anc).toEqual([task.claims.jti]);
    // Tool tokens from the renewed task token may now outlive the old deadline.
    const later = await exchangeOk(b.url, 'support-agent', {
      subject_token: r.body.access_token as string,
      resource: TICKETS,
    });
    expect(later.claims.exp).toBeGreaterThan(task.claims.exp);
    expect(tool.claims.exp).toBeLessThanOrEqual(task.claims.exp);
    const task0 = await adminRequest(b.url, 'GET', `/admin/tasks/${task.claims.txn}`);
    expect((task0.body.task as { deadline: number }).deadline).toBe(renewed.exp);
    const events = await adminRequest(b.url, 'GET', `/admin/tasks/${task.claims.txn}/events`);
    const renewal = (
      events.body.events as { type: string; detail?: Record<string, unknown> }[]
    ).filter((e) => e.type === 'task_renewed');
    expect(renewal).toHaveLength(1);
    expect(renewal[0]!.detail).toMatchObject({ jti: renewed.jti, deadline: renewed.exp });
  });

  test('the scope is task ∩ fresh token (never wider)', async () => {
    const task = await shortTask(60);
    const r = await renewAs(b.url, 'support-agent', task.claims.txn, {
      task_token: task.token,
      user_token: await up.userToken({ expIn: 3600, scope: 'tickets:read billing:export' }),
    });
    expect(r.status).toBe(200);
    expect(claimsOf(r.body.access_token as string).scope).toBe('tickets:read');
  });

  test("refuses another user's token (invalid_request) and changes nothing", async () => {
    const task = await shortTask(60);
    const r = await renewAs(b.url, 'support-agent', task.claims.txn, {
      task_token: task.token,
      user_token: await up.userToken({ expIn: 3600, sub: 'mallory@example.com' }),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    const t = await adminRequest(b.url, 'GET', `/admin/tasks/${task.claims.txn}`);
    expect((t.body.task as { deadline: number }).deadline).toBe(task.claims.exp);
    // The refusal is in the audit trail, with the task it was about.
    await waitFor(async () => {
      const e = await adminRequest(b.url, 'GET', '/admin/events?stream=refusals&limit=1000');
      return (
        e.body.events as { type: string; txn?: string; detail?: { operation?: string } }[]
      ).some((x) => x.txn === task.claims.txn && x.detail?.operation === 'renew_task');
    }, 'the renewal refusal in the audit trail');
  });

  test('refuses a fresh token whose may_act names another agent (RFC 8693 §4.4), as /token does', async () => {
    const task = await shortTask(60);
    const r = await renewAs(b.url, 'support-agent', task.claims.txn, {
      task_token: task.token,
      user_token: await up.userToken({ expIn: 3600, extra: { may_act: { sub: 'billing-agent' } } }),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    expect(r.body.error_description).toMatch(/may_act/);
    const t = await adminRequest(b.url, 'GET', `/admin/tasks/${task.claims.txn}`);
    expect((t.body.task as { deadline: number }).deadline).toBe(task.claims.exp);
    const named = await renewAs(b.url, 'support-agent', task.claims.txn, {
      task_token: task.token,
      user_token: await up.userToken({ expIn: 3600, extra: { may_act: { sub: 'support-agent' } } }),
    });
    expect(named.status).toBe(200);
  });

  test('refuses after the user was revoked, and after the task token was revoked', async () => {
    const task = await shortTask(60, 'renew-revoked@example.com');
    await adminRevoke(
      b.url,
      `/admin/users/${encodeURIComponent('renew-revoked@example.com')}/revoke`,
    );
    const r = await renewAs(b.url, 'support-agent', task.claims.txn, {
      task_token: task.token,
      user_token: await up.userToken({ expIn: 3600, sub: 'renew-revoked@example.com' }),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');

    const other = await shortTask(60);
    expect(await revokeAs(b.url, 'support-agent', other.token)).toBe(200);
    const r2 = await renewAs(b.url, 'support-agent', other.claims.txn, {
      task_token: other.token,
      user_token: await up.userToken({ expIn: 3600 }),
    });
    expect(r2.status).toBe(400);
    expect(r2.body.error).toBe('invalid_request');
  });

  test('refuses another agent than the current actor, a completed task and a task token of another task', async () => {
    const task = await shortTask(60);
    const fresh = await up.userToken({ expIn: 3600 });
    const wrongAgent = await renewAs(b.url, 'billing-agent', task.claims.txn, {
      task_token: task.token,
      user_token: fresh,
    });
    expect(wrongAgent.status).toBe(400);
    expect(wrongAgent.body.error).toBe('invalid_request');
    const other = await startTaskToken(b.url, up);
    const wrongTxn = await renewAs(b.url, 'support-agent', claimsOf(other).txn, {
      task_token: task.token,
      user_token: fresh,
    });
    expect(wrongTxn.body.error).toBe('invalid_request');
    const done = await postJson(
      `${b.url}/tasks/${task.claims.txn}/complete`,
      { outcome: 'succeeded' },
      credentials('support-agent').headers,
    );
    expect(done.status).toBe(200);
    const ended = await renewAs(b.url, 'support-agent', task.claims.txn, {
      task_token: task.token,
      user_token: fresh,
    });
    expect(ended.status).toBe(400);
    expect(ended.body.error).toBe('invalid_request');
  });

  test('a DPoP-bound task is renewed only with a proof by its key, and stays bound', async () => {
    const key = await dpopKey();
    const started = await dpopExchange(
      b.url,
      'support-agent',
      { subject_token: await up.userToken({ expIn: 60 }), audience: ISSUER },
      await key.proof('POST', `${ISSUER}/token`),
    );
    expect(started.status).toBe(200);
    const token = started.body.access_token as string;
    const { txn } = claimsOf(token);
    const body = { task_token: token, user_token: await up.userToken({ expIn: 3600 }) };
    const bare = await renewAs(b.url, 'support-agent', txn, body);
    expect(bare.body.error).toBe('invalid_request');
    const other = await dpopKey();
    const htu = `${ISSUER}/tasks/${txn}/renew`;
    const wrong = await renewAs(b.url, 'support-agent', txn, body, {
      dpop: await other.proof('POST', htu),
    });
    expect(wrong.body.error).toBe('invalid_request');
    const ok = await renewAs(b.url, 'support-agent', txn, body, {
      dpop: await key.proof('POST', htu),
    });
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe('DPoP');
    expect(claimsOf(ok.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });

  test('an unauthenticated call is invalid_client and a malformed body invalid_request', async () => {
    const task = await shortTask(60);
    const anon = await postJson(`${b.url}/tasks/${task.claims.txn}/renew`, {
      task_token: task.token,
      user_token: 'x',
    });
    expect(anon.status).toBe(401);
    expect(anon.body.error).toBe('invalid_client');
    const bad = await renewAs(b.url, 'support-agent', task.claims.txn, { task_token: task.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
  });
});

describe('task renewal after the config narrowed the agent', () => {
  let up: Upstream;
  let before: RunningBaton;
  let after: RunningBaton;
  const storeCfg = { kind: 'redis' as const, url: testRedisUrl(), prefix: uniquePrefix() };
  beforeAll(async () => {
    up = await makeUpstream();
    const wide = testConfig(up, (raw) => {
      raw.store = storeCfg;
    });
    const keys = await testKeys(wide);
    before = await startBaton(wide, { keys });
    // A second instance of the same deployment, started with support-agent's taskScopes cut.
    after = await startBaton(
      testConfig(up, (raw) => {
        raw.store = storeCfg;
        const agents = raw.agents as { id: string; taskScopes: string[] }[];
        agents.find((a) => a.id === 'support-agent')!.taskScopes = ['tickets:read'];
      }),
      { keys },
    );
  });
  afterAll(async () => {
    await before.close();
    await after.close();
    await dropKeysUnder({ url: storeCfg.url }, storeCfg.prefix);
  });

  test("the renewed scope is within the actor's taskScopes in force, not only the old task's", async () => {
    const start = await exchange(before.url, 'support-agent', {
      subject_token: await up.userToken({ expIn: 60 }),
      audience: ISSUER,
    });
    const task = start.body.access_token as string;
    expect(claimsOf(task).scope).toBe('billing:read tickets:read tickets:write');
    const r = await renewAs(after.url, 'support-agent', claimsOf(task).txn, {
      task_token: task,
      user_token: await up.userToken({ expIn: 3600 }),
    });
    expect(r.status).toBe(200);
    expect(claimsOf(r.body.access_token as string).scope).toBe('tickets:read');
  });
});

describe('task renewal at taskMaxSeconds', () => {
  let up: Upstream;
  let b: RunningBaton;
  beforeAll(async () => {
    up = await makeUpstream();
    b = await startBaton(
      testConfig(up, (raw) => {
        raw.defaults = { taskTtlSeconds: 120, taskMaxSeconds: 120 };
      }),
    );
  });
  afterAll(() => b.close());

  test('refuses to move the deadline past start + taskMaxSeconds (invalid_request)', async () => {
    const task = await startTaskToken(b.url, up);
    const { txn, exp } = claimsOf(task);
    const r = await renewAs(b.url, 'support-agent', txn, {
      task_token: task,
      user_token: await up.userToken({ expIn: 3600 }),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    expect(r.body.error_description).toMatch(/taskMaxSeconds/);
    const t = await adminRequest(b.url, 'GET', `/admin/tasks/${txn}`);
    expect((t.body.task as { deadline: number }).deadline).toBe(exp);
  });
});

describe('task renewal under Cedar', () => {
  const POLICY = `
@id("start") permit (principal, action == Baton::Action::"start_task", resource);
@id("suspended") forbid (principal, action == Baton::Action::"start_task", resource)
  when { context.user has tenant && context.user.tenant == "suspended" };
@id("tickets") permit (principal, action == Baton::Action::"exchange", resource);
`;
  let up: Upstream;
  let b: RunningBaton;
  beforeAll(async () => {
    up = await makeUpstream();
    const file = join(mkdtempSync(join(tmpdir(), 'baton-renew-')), 'policy.cedar');
    writeFileSync(file, POLICY);
    b = await startBaton(testConfig(up, (raw) => (raw.policy = { cedarFile: file, watch: false })));
  });
  afterAll(() => b.close());

  test('Cedar decides again with the fresh token: a user now forbidden is refused', async () => {
    const start = await exchange(b.url, 'support-agent', {
      subject_token: await up.userToken({ expIn: 60, extra: { tenant: 'acme' } }),
      audience: ISSUER,
    });
    expect(start.status).toBe(200);
    const token = start.body.access_token as string;
    const { txn, exp } = claimsOf(token);
    const refused = await renewAs(b.url, 'support-agent', txn, {
      task_token: token,
      user_token: await up.userToken({ expIn: 3600, extra: { tenant: 'suspended' } }),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body.error_description).toMatch(/suspended/);
    const t = await adminRequest(b.url, 'GET', `/admin/tasks/${txn}`);
    expect((t.body.task as { deadline: number }).deadline).toBe(exp);
    const ok = await renewAs(b.url, 'support-agent', txn, {
      task_token: token,
      user_token: await up.userToken({ expIn: 3600, extra: { tenant: 'acme' } }),
    });
    expect(ok.status).toBe(200);
  });
});
