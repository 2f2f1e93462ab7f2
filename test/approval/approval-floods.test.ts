import { MemoryApprovals } from '../../src/store/memory/approvals.js';
import { APPROVAL_KEPT_AFTER_EXPIRY_SECONDS } from '../../src/store/types.js';
import {
  ADMIN_KEY,
  TICKETS,
  exchange,
  makeUpstream,
  startBaton,
  startTaskToken,
  testConfig,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

/**
 * Pending approvals cannot be flooded: asking again for the same call is the same approval,
 * a task and an agent hold a bounded number of pending ones, and the admin list pages
 * through all of them.
 */
describe('pending approvals under a flood of requests', () => {
  let up: Upstream;
  let b: RunningBaton;

  beforeAll(async () => {
    up = await makeUpstream();
    b = await startBaton(
      testConfig(up, (raw) => {
        const support = (raw.agents as { id: string; tools: Record<string, unknown> }[]).find(
          (a) => a.id === 'support-agent',
        )!;
        support.tools[TICKETS] = {
          scopes: ['tickets:read', 'tickets:write'],
          requireApproval: true,
        };
        raw.approvals = { intervalSeconds: 1, maxPendingPerTask: 2, maxPendingPerAgent: 3 };
      }),
    );
  });
  afterAll(() => b.close());

  const ask = (subject: string, scope: string) =>
    exchange(b.url, 'support-agent', { subject_token: subject, resource: TICKETS, scope });

  async function listAll(limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const q = `limit=${limit}${next ? `&cursor=${next}` : ''}`;
      const r = await fetch(`${b.url}/admin/approvals?${q}`, { headers: admin });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { approvals: { id: string }[]; next: string | null };
      ids.push(...body.approvals.map((a) => a.id));
      next = body.next;
      pages++;
    } while (next && pages < 10);
    return { ids, pages };
  }

  test('repeating a request, bounded per task and per agent, listed page by page', async () => {
    const t1 = await startTaskToken(b.url, up);
    const first = await ask(t1, 'tickets:read');
    expect(first.body.error).toBe('authorization_pending');
    // The same call asked again (as an agent that lost the id would): the same approval.
    const again = await ask(t1, 'tickets:read');
    expect(again.body).toMatchObject({
      error: 'authorization_pending',
      approval_id: first.body.approval_id,
    });
    const second = await ask(t1, 'tickets:write');
    expect(second.body.approval_id).not.toBe(first.body.approval_id);

    // The task is at its bound: a third binding is refused until one is decided or lapses.
    const third = await ask(t1, 'tickets:read tickets:write');
    expect(third.status).toBe(429);
    expect(third.body.error).toBe('temporarily_unavailable');
    expect(third.body.error_description).toMatch(/task already has 2 approvals pending/);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    // ... but a repeat of a pending one still answers with it.
    expect((await ask(t1, 'tickets:write')).body.approval_id).toBe(second.body.approval_id);

    // The agent is bounded across its tasks.
    const t2 = await startTaskToken(b.url, up);
    const fourth = await ask(t2, 'tickets:read');
    expect(fourth.body.error).toBe('authorization_pending');
    const t3 = await startTaskToken(b.url, up);
    const over = await ask(t3, 'tickets:read');
    expect(over.status).toBe(429);
    expect(over.body.error_description).toMatch(/agent support-agent already has 3/);

    const ids = [first, second, fourth].map((r) => r.body.approval_id as string);
    expect(await listAll(2)).toEqual({ ids: expect.arrayContaining(ids), pages: 2 });
    expect((await listAll(2)).ids).toHaveLength(3);

    // A decision frees a place for the task.
    const decided = await fetch(`${b.url}/admin/approvals/${ids[0]}/deny`, {
      method: 'POST',
      headers: admin,
    });
    expect(decided.status).toBe(200);
    expect((await ask(t1, 'tickets:read tickets:write')).body.error).toBe('authorization_pending');
  });

  test('the admin list refuses a cursor that is no cursor', async () => {
    const r = await fetch(`${b.url}/admin/approvals?cursor=%20x`, { headers: admin });
    expect(r.status).toBe(400);
  });
});

describe('the memory store sweeps lapsed approvals', () => {
  test('an approval is dropped once kept past its expiry, with its indexes', async () => {
    const store = new MemoryApprovals();
    const now = 1_000_000;
    for (let i = 0; i < 3; i++)
      await store.openApproval(
        {
          id: `txn-1.${i}`,
          txn: 'txn-1',
          agent: 'a',
          sub: 'u',
          act: ['a'],
          tool: 't',
          scope: 's',
          binding: `b${i}`,
          status: 'pending',
          createdAt: now,
          expiresAt: now + 600,
        },
        { perTask: 10, perAgent: 10 },
        now,
      );
    store.sweep(now + 600 + APPROVAL_KEPT_AFTER_EXPIRY_SECONDS - 1);
    expect(store.size).toBe(3);
    store.sweep(now + 600 + APPROVAL_KEPT_AFTER_EXPIRY_SECONDS);
    expect(store.size).toBe(0);
  });
});
