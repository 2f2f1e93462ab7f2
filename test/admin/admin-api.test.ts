/**
 * The admin API's additions (docs/admin-api.md): the task list with filters and cursor paging,
 * agents with live task counts and marks, the header's counts, the live stream, and roles of
 * named admin keys, each admin action's audit event naming the admin and role.
 */
import { hashSecret } from '../../src/auth/secrets.js';
import {
  ADMIN_KEY,
  ISSUER,
  exchange,
  postJson,
  startTaskToken,
  startTestBaton,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

const VIEWER_KEY = 'viewer-key-0123456789abcdefghijklmnopqrstuvwxyz';
const APPROVER_KEY = 'approver-key-0123456789abcdefghijklmnopqrstuvwxy';
const OPS_KEY = 'ops-admin-key-0123456789abcdefghijklmnopqrstuvw';
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

async function getJson(url: string, key = ADMIN_KEY) {
  const res = await fetch(url, { headers: bearer(key) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('admin API: tasks, agents, overview, stream and roles', () => {
  let up: Upstream;
  let b: RunningBaton;
  let url: string;

  beforeAll(async () => {
    ({
      upstream: up,
      b,
      url,
    } = await startTestBaton((raw) => {
      raw.admin = {
        keyHashes: [hashSecret(ADMIN_KEY)],
        keys: [
          { name: 'vera', keyHash: hashSecret(VIEWER_KEY), role: 'viewer' },
          { name: 'april', keyHash: hashSecret(APPROVER_KEY), role: 'approver' },
          { name: 'ops-oncall', keyHash: hashSecret(OPS_KEY), role: 'admin' },
        ],
      };
    }));
  });
  afterAll(async () => {
    await b.close();
  });

  test('lists tasks newest first with owner, current actor, user, purpose and live tokens', async () => {
    const first = await startTaskToken(url, up, 'support-agent', { purpose: 'first task' });
    const handed = await exchange(url, 'billing-agent', { subject_token: first, audience: ISSUER });
    expect(handed.status).toBe(200);
    await startTaskToken(url, up, 'isolated-agent', { purpose: 'second task' });
    const { status, body } = await getJson(`${url}/admin/tasks`);
    expect(status).toBe(200);
    const tasks = body.tasks as Record<string, unknown>[];
    // Newest start first; tasks started in the same second by txn, descending.
    const order = [...tasks].sort(
      (a, b) =>
        (b.created_at as number) - (a.created_at as number) ||
        (String(b.txn) < String(a.txn) ? -1 : 1),
    );
    expect(tasks.map((t) => t.txn)).toEqual(order.map((t) => t.txn));
    const started = tasks.find((t) => t.purpose === 'first task');
    expect(tasks.some((t) => t.purpose === 'second task')).toBe(true);
    expect(started).toMatchObject({
      owner: 'support-agent',
      current_actor: 'billing-agent',
      sub: expect.any(String),
      status: 'open',
      tokens_live: 2,
      tokens_total: 2,
    });
    expect(typeof started!.deadline).toBe('number');
    expect(typeof started!.age_seconds).toBe('number');
  });

  test('filters by status, agent, user and text, and pages with a cursor', async () => {
    const t = await startTaskToken(url, up, 'isolated-agent', { purpose: 'needle-in-haystack' });
    const q = await getJson(`${url}/admin/tasks?q=NEEDLE-in`);
    expect((q.body.tasks as { purpose: string }[]).map((x) => x.purpose)).toEqual([
      'needle-in-haystack',
    ]);
    const byAgent = (await getJson(`${url}/admin/tasks?agent=billing-agent`)).body.tasks as {
      agents: string[];
    }[];
    expect(byAgent.length).toBeGreaterThan(0);
    expect(byAgent.every((x) => x.agents.includes('billing-agent'))).toBe(true);
    const txn = (
      JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { txn: string }
    ).txn;
    await postJson(`${url}/admin/tasks/${txn}/revoke`, {}, bearer(ADMIN_KEY));
    const revoked = (await getJson(`${url}/admin/tasks?status=revoked`)).body.tasks as {
      txn: string;
    }[];
    expect(revoked.map((x) => x.txn)).toEqual([txn]);
    expect(((await getJson(`${url}/admin/tasks?user=nobody`)).body.tasks as []).length).toBe(0);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await getJson(`${url}/admin/tasks?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect((page.body.tasks as []).length).toBeLessThanOrEqual(1);
      seen.push(...(page.body.tasks as { txn: string }[]).map((x) => x.txn));
      cursor = page.body.next as string | null;
    } while (cursor);
    const all = (await getJson(`${url}/admin/tasks`)).body.tasks as { txn: string }[];
    expect(seen).toEqual(all.map((x) => x.txn));
  });

  test('refuses a bad filter or limit with invalid_request, naming it', async () => {
    for (const [query, words] of [
      ['status=finished', 'status'],
      ['since=yesterday', 'since'],
      ['limit=0', 'limit'],
      ['cursor=%7B%7D', 'cursor'],
    ] as const) {
      const r = await getJson(`${url}/admin/tasks?${query}`);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
      expect(String(r.body.error_description)).toContain(words);
    }
  });

  test('lists agents with their live task counts and revocation marks', async () => {
    await startTaskToken(url, up, 'support-agent');
    const before = (await getJson(`${url}/admin/agents`)).body;
    const support = (before.agents as { id: string; tasks_owned: number }[]).find(
      (a) => a.id === 'support-agent',
    );
    expect(support!.tasks_owned).toBeGreaterThan(0);
    const r = await postJson(`${url}/admin/agents/orchestrator/revoke`, {}, bearer(OPS_KEY));
    expect(r.status).toBe(200);
    const after = (await getJson(`${url}/admin/agents`)).body.agents as {
      id: string;
      revoked_before: number | null;
    }[];
    expect(after.find((a) => a.id === 'orchestrator')!.revoked_before).toBe(r.body.before);
    expect(after.find((a) => a.id === 'support-agent')!.revoked_before).toBeNull();
  });

  test('the overview counts live tasks and the last minute of issued tokens', async () => {
    const o1 = (await getJson(`${url}/admin/overview`)).body;
    await startTaskToken(url, up, 'isolated-agent');
    const o2 = (await getJson(`${url}/admin/overview`)).body;
    expect(o2.tasks_live).toBe((o1.tasks_live as number) + 1);
    expect(o2.tokens_issued_per_minute as number).toBeGreaterThan(
      o1.tokens_issued_per_minute as number,
    );
    expect(o2).toMatchObject({ pending_approvals: 0, pending_approvals_more: false });
    expect(typeof o2.refusals_per_minute).toBe('number');
  });

  test('the live stream sends a change when a task starts', async () => {
    const ac = new AbortController();
    const res = await fetch(`${url}/admin/stream`, {
      headers: bearer(VIEWER_KEY),
      signal: ac.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const token = await startTaskToken(url, up, 'isolated-agent', { purpose: 'streamed' });
    const txn = (
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { txn: string }
    ).txn;
    while (!text.includes(txn)) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('event: change');
    expect(text).toContain('"type":"task_started"');
    ac.abort();
  });

  test('roles: a viewer reads but cannot revoke or approve; an approver cannot revoke', async () => {
    expect((await getJson(`${url}/admin/tasks`, VIEWER_KEY)).status).toBe(200);
    const viewerRevoke = await postJson(`${url}/admin/revoke-all`, {}, bearer(VIEWER_KEY));
    expect(viewerRevoke.status).toBe(403);
    expect(viewerRevoke.body.error).toBe('access_denied');
    expect(String(viewerRevoke.body.error_description)).toContain('admin role');
    const viewerApprove = await postJson(
      `${url}/admin/approvals/x.y/approve`,
      {},
      bearer(VIEWER_KEY),
    );
    expect(viewerApprove.status).toBe(403);
    // An approver reaches the decision (404: no such approval), but not a revocation.
    const approverApprove = await postJson(
      `${url}/admin/approvals/x.y/approve`,
      {},
      bearer(APPROVER_KEY),
    );
    expect(approverApprove.status).toBe(404);
    expect((await postJson(`${url}/admin/users/u/revoke`, {}, bearer(APPROVER_KEY))).status).toBe(
      403,
    );
    expect((await getJson(`${url}/admin/tasks`, 'not-a-key')).status).toBe(401);
  });

  test("an admin action's audit event names the admin and role (the old keyHashes act as admin)", async () => {
    await postJson(
      `${url}/admin/users/${encodeURIComponent('mallory@example.com')}/revoke`,
      {},
      bearer(OPS_KEY),
    );
    await postJson(
      `${url}/admin/users/${encodeURIComponent('eve@example.com')}/revoke`,
      {},
      bearer(ADMIN_KEY),
    );
    const events = (await getJson(`${url}/admin/events?limit=1000`)).body.events as {
      type: string;
      sub?: string;
      admin?: unknown;
    }[];
    const revoked = events.filter((e) => e.type === 'user_revoked');
    expect(revoked.find((e) => e.sub === 'mallory@example.com')!.admin).toEqual({
      name: 'ops-oncall',
      role: 'admin',
    });
    expect(revoked.find((e) => e.sub === 'eve@example.com')!.admin).toEqual({
      name: 'key-1',
      role: 'admin',
    });
    const who = (await getJson(`${url}/admin/session`, APPROVER_KEY)).body;
    expect(who).toEqual({ admin: 'april', role: 'approver', via: 'key' });
  });

  test('keys and policy status are readable', async () => {
    const keys = (await getJson(`${url}/admin/keys`)).body.keys as { stage: string }[];
    expect(keys.map((k) => k.stage)).toContain('signing');
    const p = (await getJson(`${url}/admin/policy/status`)).body;
    expect(p).toEqual({ version: null, last_reload_error: null });
  });
});
