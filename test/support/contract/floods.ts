/**
 * Store contract for what floods must not break (src/store/store.ts, ApprovalStore and
 * AuditStore): opening an approval is idempotent per binding and bounded per task and per agent,
 * the admin list pages through every pending approval, and refusals are filed apart from the
 * decisions so no volume of them evicts a task's story. Run on memory, Redis and a Cluster.
 */
import { randomUUID } from 'node:crypto';
import { STORE_LIMITS } from '../../../src/config/defaults.js';
import type { ApprovalRecord, StoreLimits, TokenStore } from '../../../src/store/store.js';
import { epochSeconds as nowSeconds } from '../../../src/clock.js';
import { newTxn, rootTokenFixture, taskFixture } from '../store-fixtures.js';

export type MakeLimitedStore = (
  limits: StoreLimits,
) => Promise<{ store: TokenStore; cleanup(): Promise<void> }>;

const BOUNDS = { perTask: 3, perAgent: 5 };

function approval(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const now = nowSeconds();
  const txn = overrides.txn ?? newTxn();
  return {
    id: `${txn}.${randomUUID()}`,
    txn,
    agent: 'agent-a',
    sub: 'alice@example.com',
    act: ['agent-a'],
    tool: 'https://tools.test/deploy',
    scope: 'deploy:prod',
    binding: `binding-${randomUUID()}`,
    status: 'pending',
    createdAt: now,
    expiresAt: now + 600,
    ...overrides,
  };
}

export function describeFloodsContract(name: string, make: MakeLimitedStore): void {
  describe(`${name}: floods`, () => {
    let store: TokenStore;
    let cleanup: () => Promise<void>;
    const open = (limits: StoreLimits = STORE_LIMITS) =>
      make(limits).then((s) => {
        ({ store, cleanup } = s);
      });
    afterEach(async () => {
      await cleanup?.();
    });

    describe('approvals', () => {
      beforeEach(() => open());

      test('a repeated request for the same binding gets the pending approval it already has', async () => {
        const first = approval();
        const now = nowSeconds();
        expect(await store.openApproval(first, BOUNDS, now)).toMatchObject({
          kind: 'created',
          record: { id: first.id },
        });
        const again = approval({ txn: first.txn, binding: first.binding });
        const opened = await store.openApproval(again, BOUNDS, now);
        expect(opened).toMatchObject({ kind: 'existing', record: { id: first.id } });
        expect(await store.getApproval(again.id)).toBeUndefined();
        const other = await store.openApproval(approval({ txn: first.txn }), BOUNDS, now);
        expect(other.kind).toBe('created');
      });

      test('once decided, the same binding opens a new approval', async () => {
        const first = approval();
        const now = nowSeconds();
        await store.openApproval(first, BOUNDS, now);
        expect(await store.decideApproval(first.id, 'denied', 'admin', undefined, now)).toBe(true);
        const again = approval({ txn: first.txn, binding: first.binding });
        expect(await store.openApproval(again, BOUNDS, now)).toMatchObject({
          kind: 'created',
          record: { id: again.id },
        });
      });

      test('a task holds at most perTask pending approvals; a decision frees a place', async () => {
        const txn = newTxn();
        const now = nowSeconds();
        const ids: string[] = [];
        for (let i = 0; i < BOUNDS.perTask; i++) {
          const a = approval({ txn, agent: `agent-${i}` });
          ids.push(a.id);
          expect((await store.openApproval(a, BOUNDS, now)).kind).toBe('created');
        }
        const over = await store.openApproval(approval({ txn }), BOUNDS, now);
        expect(over).toEqual({ kind: 'refused', bound: 'task', retryAfter: 600 });
        expect((await store.openApproval(approval(), BOUNDS, now)).kind).toBe('created');
        await store.decideApproval(ids[0]!, 'approved', 'admin', undefined, now);
        expect((await store.openApproval(approval({ txn }), BOUNDS, now)).kind).toBe('created');
      });

      test('an agent holds at most perAgent pending approvals across its tasks, and nothing of a refused one is kept', async () => {
        const now = nowSeconds();
        const agent = `agent-${randomUUID()}`;
        const ids: string[] = [];
        for (let i = 0; i < BOUNDS.perAgent; i++) {
          const a = approval({ agent, expiresAt: now + 100 + i });
          ids.push(a.id);
          expect((await store.openApproval(a, BOUNDS, now)).kind).toBe('created');
        }
        const refused = approval({ agent });
        expect(await store.openApproval(refused, BOUNDS, now)).toEqual({
          kind: 'refused',
          bound: 'agent',
          retryAfter: 100,
        });
        expect(await store.getApproval(refused.id)).toBeUndefined();
        const listed = await store.listApprovals(now, undefined, 1000);
        expect(listed.approvals.map((a) => a.id)).not.toContain(refused.id);
        // Its binding was not taken: asked again once a place is free, it is created.
        await store.decideApproval(ids[2]!, 'denied', 'admin', undefined, now);
        expect((await store.openApproval(refused, BOUNDS, now)).kind).toBe('created');
      });

      test('a lapsed approval neither counts toward a bound nor answers a repeated request', async () => {
        const now = nowSeconds();
        const txn = newTxn();
        const lapsing: ApprovalRecord[] = [];
        for (let i = 0; i < BOUNDS.perTask; i++) {
          const a = approval({ txn, agent: `agent-${i}`, expiresAt: now + 10 });
          lapsing.push(a);
          await store.openApproval(a, BOUNDS, now);
        }
        const later = now + 10;
        const again = approval({ txn, binding: lapsing[0]!.binding });
        expect(await store.openApproval(again, BOUNDS, later)).toMatchObject({
          kind: 'created',
          record: { id: again.id },
        });
      });

      test('the admin list pages through every pending approval, each once, decided ones left out', async () => {
        const now = nowSeconds();
        const made: string[] = [];
        for (let i = 0; i < 23; i++) {
          const a = approval({ agent: `agent-${i % 5}`, expiresAt: now + 600 + (i % 4) });
          made.push(a.id);
          await store.openApproval(a, { perTask: 10, perAgent: 100 }, now);
        }
        await store.decideApproval(made[7]!, 'approved', 'admin', undefined, now);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listApprovals(now, cursor, 5);
          expect(page.approvals.length).toBeLessThanOrEqual(5);
          seen.push(...page.approvals.map((a) => a.id));
          cursor = page.next;
          pages++;
        } while (cursor && pages < 20);
        expect(seen).toHaveLength(22);
        expect(new Set(seen)).toEqual(new Set(made.filter((_, i) => i !== 7)));
        expect(pages).toBe(5);
      });
    });

    describe('audit', () => {
      const limits: StoreLimits = {
        ...STORE_LIMITS,
        audit: {
          ...STORE_LIMITS.audit,
          taskMaxEvents: 1000,
          globalMaxEvents: 1000,
          taskMaxRefusals: 100,
          globalMaxRefusals: 100,
        },
      };
      beforeEach(() => open(limits));

      test('refusals are bounded apart from decisions: a flood of them evicts no decision, in the task or globally', async () => {
        const task = taskFixture();
        const root = rootTokenFixture(task);
        const started = JSON.stringify({ type: 'task_started', txn: task.txn });
        await store.startTask(task, root, started);
        const refusal = (i: number) => ({
          txn: task.txn,
          json: JSON.stringify({ type: 'introspection_refused', txn: task.txn, i }),
          refusal: true,
        });
        await store.appendAudit([{ txn: task.txn, json: started, inTaskStream: true }]);
        for (let batch = 0; batch < 10; batch++)
          await store.appendAudit(Array.from({ length: 500 }, (_, i) => refusal(batch * 500 + i)));
        await store.appendAudit([
          { txn: task.txn, json: JSON.stringify({ type: 'task_completed', txn: task.txn }) },
        ]);

        const types = (rows: { json: string }[]) =>
          rows.map((r) => (JSON.parse(r.json) as { type: string }).type);
        expect(types(await store.readTaskAudit(task.txn, 10_000, 'decisions'))).toEqual([
          'task_started',
          'task_completed',
        ]);
        const global = types(await store.readAudit(undefined, 10_000, 'decisions'));
        expect(global).toEqual(['task_started', 'task_completed']);
        // Bounded (Redis trims `MAXLEN ~`: whole nodes of ~100 entries), and the newest kept.
        for (const rows of [
          await store.readTaskAudit(task.txn, 10_000, 'refusals'),
          await store.readAudit(undefined, 10_000, 'refusals'),
        ]) {
          expect(rows.length).toBeGreaterThanOrEqual(100);
          expect(rows.length).toBeLessThanOrEqual(300);
          expect(JSON.parse(rows[rows.length - 1]!.json)).toMatchObject({ i: 4999 });
        }
      });
    });
  });
}
