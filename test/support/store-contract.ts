/**
 * The TokenStore contract (src/store/store.ts): one suite, run on every implementation
 * (test/store/store-memory.test.ts, test/store/store-redis.test.ts).
 * Each test gets a fresh store from `make` and hands it back through `cleanup`.
 */
import fc from 'fast-check';
import type { FeedEntry, FeedEvent, TokenRecord, TokenStore } from '../../src/store/store.js';
import {
  childTokenFixture,
  compareFeedIds,
  expectRejection,
  lineage,
  newJti,
  newTxn,
  nowSeconds,
  rootTokenFixture,
  shapeTree,
  sleep,
  taskFixture,
  waitFor,
  type NewTask,
} from './store-fixtures.js';

export type MakeStore = () => Promise<{ store: TokenStore; cleanup(): Promise<void> }>;

export function runStoreContract(name: string, make: MakeStore): void {
  describe(name, () => {
    let store: TokenStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup?.();
    });

    /** Starts a task with its root token; returns both and the start stamp. */
    async function openTask(
      overrides: Partial<NewTask> = {},
      rootOverrides: Partial<TokenRecord> = {},
    ) {
      const task = taskFixture(overrides);
      const root = rootTokenFixture(task, rootOverrides);
      const stamp = await store.startTask(task, root);
      return { task, root, stamp };
    }

    /** Records a chain root -> c1 -> ... -> c<n>; returns [c1..cn]. */
    async function recordChain(root: TokenRecord, n: number): Promise<TokenRecord[]> {
      const chain: TokenRecord[] = [];
      let parent = root;
      for (let i = 0; i < n; i++) {
        const child = childTokenFixture(parent);
        await store.recordToken(child);
        chain.push(child);
        parent = child;
      }
      return chain;
    }

    describe('tasks and records', () => {
      it('startTask creates an open task with a numeric stamp and records its first token as active', async () => {
        const { task, root, stamp } = await openTask();
        expect(Number.isSafeInteger(stamp)).toBe(true);
        const got = await store.getTask(task.txn);
        expect(got).toEqual({ ...task, status: 'open', stamp });
        await expect(store.checkToken(task.txn, root.jti, root.anc)).resolves.toBe('active');
      });

      it('stamps are epoch microseconds (within a minute of the wall clock)', async () => {
        const { root, stamp } = await openTask();
        const recorded = await store.recordToken(childTokenFixture(root));
        const mark = await store.putMark('agent', 'agent-stamp-check');
        for (const s of [stamp, recorded, mark]) {
          expect(Number.isSafeInteger(s)).toBe(true);
          expect(Math.abs(s - Date.now() * 1000)).toBeLessThan(60_000_000);
        }
      });

      it('recordToken returns a stamp strictly greater than its task stamp, increasing across records', async () => {
        const { root, stamp } = await openTask();
        const stamps: number[] = [];
        for (let i = 0; i < 6; i++) stamps.push(await store.recordToken(childTokenFixture(root)));
        expect(stamps[0]).toBeGreaterThan(stamp);
        for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]!);
      });

      it('refuses a record into an unknown task (unknown_task) and records nothing', async () => {
        const txn = newTxn();
        const orphan = childTokenFixture(rootTokenFixture({ txn, owner: 'agent-a' }));
        await expectRejection(store.recordToken(orphan), 'unknown_task');
        await expect(store.checkToken(txn, orphan.jti, orphan.anc)).resolves.toBe('unknown');
        await expect(store.getTask(txn)).resolves.toBeUndefined();
      });

      it('refuses a record into an ended task (task_ended) and records nothing', async () => {
        const { task, root } = await openTask();
        await store.endTask(task.txn, 'completed', task.owner, 'succeeded');
        const late = childTokenFixture(root);
        await expectRejection(store.recordToken(late), 'task_ended');
        await expect(store.checkToken(task.txn, late.jti, late.anc)).resolves.toBe('unknown');
        const tree = await store.getTaskTree(task.txn);
        expect(tree?.tokens.map((t) => t.jti)).not.toContain(late.jti);
      });

      it('refuses a record under a revoked ancestor (revoked) and records nothing', async () => {
        const { task, root } = await openTask();
        const [c1, c2] = await recordChain(root, 2);
        await store.revokeToken(task.txn, c1!.jti);
        const under = childTokenFixture(c2!); // c1 is its grandparent
        await expectRejection(store.recordToken(under), 'revoked');
        await expect(store.checkToken(task.txn, under.jti, [])).resolves.toBe('unknown');
        const tree = await store.getTaskTree(task.txn);
        expect(tree?.tokens.map((t) => t.jti)).not.toContain(under.jti);
        // the task itself stays open: a sibling branch still records
        await expect(store.recordToken(childTokenFixture(root))).resolves.toEqual(
          expect.any(Number),
        );
      });
    });

    describe('checkToken', () => {
      it('is unknown for a jti never recorded (open task or unknown task)', async () => {
        const { task, root } = await openTask();
        await expect(store.checkToken(task.txn, newJti(), [root.jti])).resolves.toBe('unknown');
        await expect(store.checkToken(newTxn(), newJti(), [])).resolves.toBe('unknown');
      });

      it('is revoked after revokeToken on the token itself; its parent and siblings stay active', async () => {
        const { task, root } = await openTask();
        const a = childTokenFixture(root);
        const b = childTokenFixture(root);
        await store.recordToken(a);
        await store.recordToken(b);
        await store.revokeToken(task.txn, a.jti);
        await expect(store.checkToken(task.txn, a.jti, a.anc)).resolves.toBe('revoked');
        await expect(store.checkToken(task.txn, b.jti, b.anc)).resolves.toBe('active');
        await expect(store.checkToken(task.txn, root.jti, root.anc)).resolves.toBe('active');
      });

      it('is revoked for every descendant of a revoked token, at depth 1..4', async () => {
        const { task, root } = await openTask();
        const chain = await recordChain(root, 4);
        for (const t of chain)
          await expect(store.checkToken(task.txn, t.jti, t.anc)).resolves.toBe('active');
        await store.revokeToken(task.txn, root.jti);
        for (const [i, t] of chain.entries()) {
          expect(t.anc[i]).toBe(root.jti); // root sits at depth i+1 above t
          await expect(store.checkToken(task.txn, t.jti, t.anc)).resolves.toBe('revoked');
        }
      });

      it.each(['completed', 'revoked'] as const)(
        'is task_ended for every token after endTask(%s)',
        async (status) => {
          const { task, root } = await openTask();
          const [c1] = await recordChain(root, 1);
          await store.endTask(task.txn, status, status === 'revoked' ? 'admin' : task.owner);
          await expect(store.checkToken(task.txn, root.jti, root.anc)).resolves.toBe('task_ended');
          await expect(store.checkToken(task.txn, c1!.jti, c1!.anc)).resolves.toBe('task_ended');
        },
      );
    });

    describe('endTask', () => {
      it('ends an open task once: { ended: live tokens, changed: true }, and getTask shows how', async () => {
        const { task, root } = await openTask();
        await recordChain(root, 2);
        await expect(
          store.endTask(task.txn, 'completed', task.owner, 'succeeded', 'refund issued'),
        ).resolves.toEqual({
          ended: 3,
          changed: true,
        });
        await expect(store.getTask(task.txn)).resolves.toMatchObject({
          txn: task.txn,
          status: 'completed',
          outcome: 'succeeded',
          summary: 'refund issued',
          endedBy: task.owner,
        });
      });

      it('is idempotent: a second call reports changed: false and keeps the first ending', async () => {
        const { task } = await openTask();
        await store.endTask(task.txn, 'completed', task.owner, 'failed', 'gave up');
        const again = await store.endTask(task.txn, 'revoked', 'admin', 'cancelled', 'too late');
        expect(again).toMatchObject({ changed: false });
        await expect(store.getTask(task.txn)).resolves.toMatchObject({
          status: 'completed',
          outcome: 'failed',
          summary: 'gave up',
          endedBy: task.owner,
        });
      });

      it('records an admin revocation as status revoked, endedBy admin', async () => {
        const { task } = await openTask();
        await expect(store.endTask(task.txn, 'revoked', 'admin')).resolves.toEqual({
          ended: 1,
          changed: true,
        });
        await expect(store.getTask(task.txn)).resolves.toMatchObject({
          status: 'revoked',
          endedBy: 'admin',
        });
      });

      it('returns undefined for an unknown task', async () => {
        await expect(store.endTask(newTxn(), 'completed', 'agent-a')).resolves.toBeUndefined();
      });
    });

    describe('getTaskTree', () => {
      it('returns the task, every token record as recorded (with its stamp) and the revoked jtis', async () => {
        const { task, root, stamp } = await openTask();
        const tool = childTokenFixture(root, {
          ctx: { tool: 'tickets', args: { id: 42, urgent: true }, tags: ['a', 'b'], note: null },
        });
        const toolStamp = await store.recordToken(tool);
        const handOff = childTokenFixture(root, {
          client: 'agent-b',
          actors: ['agent-b', 'agent-a'],
          aud: 'https://baton.example',
        });
        const handOffStamp = await store.recordToken(handOff);
        await store.revokeToken(task.txn, handOff.jti);

        const tree = await store.getTaskTree(task.txn);
        expect(tree).toBeDefined();
        expect(tree!.task).toEqual({ ...task, status: 'open', stamp });
        const byJti = new Map(tree!.tokens.map((t) => [t.jti, t]));
        expect([...byJti.keys()].sort()).toEqual([root.jti, tool.jti, handOff.jti].sort());
        expect(byJti.get(root.jti)).toEqual({ ...root, stamp: expect.any(Number) });
        expect(byJti.get(tool.jti)).toEqual({ ...tool, stamp: toolStamp });
        expect(byJti.get(handOff.jti)).toEqual({ ...handOff, stamp: handOffStamp });
        expect(tree!.revoked).toEqual([handOff.jti]);
      });

      it('returns undefined for an unknown task', async () => {
        await expect(store.getTaskTree(newTxn())).resolves.toBeUndefined();
      });
    });

    describe('useOnce', () => {
      it('is true the first time only, per (namespace, id); namespaces are independent', async () => {
        const exp = nowSeconds() + 60;
        const id = newJti();
        await expect(store.useOnce('client-assertion', id, exp)).resolves.toBe(true);
        await expect(store.useOnce('client-assertion', id, exp)).resolves.toBe(false);
        await expect(store.useOnce('client-assertion', id, exp)).resolves.toBe(false);
        await expect(store.useOnce('dpop', id, exp)).resolves.toBe(true);
        await expect(store.useOnce('dpop', id, exp)).resolves.toBe(false);
        await expect(store.useOnce('client-assertion', newJti(), exp)).resolves.toBe(true);
      });
    });

    describe('marks', () => {
      it('loadMarks is empty (all = 0) before any mark', async () => {
        const marks = await store.loadMarks();
        expect(marks.agents.size).toBe(0);
        expect(marks.users.size).toBe(0);
        expect(marks.all).toBe(0);
      });

      it('putMark returns increasing stamps; loadMarks returns the latest per agent / user / all', async () => {
        const s1 = await store.putMark('agent', 'agent-a');
        const s2 = await store.putMark('user', 'alice@example.com');
        const s3 = await store.putMark('all', '*');
        const s4 = await store.putMark('agent', 'agent-b');
        const s5 = await store.putMark('agent', 'agent-a');
        const s6 = await store.putMark('all', '*');
        const stamps = [s1, s2, s3, s4, s5, s6];
        for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]!);

        const marks = await store.loadMarks();
        expect(marks.agents).toEqual(
          new Map([
            ['agent-a', s5],
            ['agent-b', s4],
          ]),
        );
        expect(marks.users).toEqual(new Map([['alice@example.com', s2]]));
        expect(marks.all).toBe(s6);
      });
    });

    describe('revocation feed', () => {
      const events: FeedEvent[] = [
        { type: 'token', txn: 'txn-1', jti: 'jti-1', stamp: 1_700_000_000_000_001 },
        { type: 'task', txn: 'txn-1', stamp: 1_700_000_000_000_002, reason: 'completed' },
        {
          type: 'agent',
          id: 'agent-a',
          before: 1_700_000_000_000_003,
          stamp: 1_700_000_000_000_003,
        },
        {
          type: 'user',
          sub: 'alice@example.com',
          before: 1_700_000_000_000_004,
          stamp: 1_700_000_000_000_004,
        },
        { type: 'all', before: 1_700_000_000_000_005, stamp: 1_700_000_000_000_005 },
      ];

      it('readFeed returns published entries in order, with increasing ids and events intact', async () => {
        const ids: string[] = [];
        for (const e of events) ids.push(await store.publish(e));
        expect(new Set(ids).size).toBe(ids.length);
        for (let i = 1; i < ids.length; i++) {
          const cmp = compareFeedIds(ids[i - 1]!, ids[i]!);
          if (cmp !== undefined) expect(cmp).toBe(-1);
        }
        const all = await store.readFeed(undefined, 100);
        expect(all).toEqual(events.map((event, i) => ({ id: ids[i], event })));
      });

      it('readFeed(afterId) returns only later entries, at most limit', async () => {
        const ids: string[] = [];
        for (const e of events) ids.push(await store.publish(e));
        await expect(store.readFeed(undefined, 2)).resolves.toEqual([
          { id: ids[0], event: events[0] },
          { id: ids[1], event: events[1] },
        ]);
        const after1 = await store.readFeed(ids[1], 100);
        expect(after1.map((e) => e.id)).toEqual(ids.slice(2));
        const after1Limited = await store.readFeed(ids[1], 2);
        expect(after1Limited.map((e) => e.id)).toEqual(ids.slice(2, 4));
        await expect(store.readFeed(ids[4], 100)).resolves.toEqual([]);
      });

      it('subscribe delivers each published entry; after unsubscribe nothing more arrives', async () => {
        const seen: FeedEntry[] = [];
        const unsubscribe = await store.subscribe((e) => seen.push(e));
        const id1 = await store.publish(events[0]!);
        await waitFor(() => seen.some((e) => e.id === id1), 'the first published entry');
        expect(seen.find((e) => e.id === id1)?.event).toEqual(events[0]);

        await unsubscribe();
        const count = seen.length;
        await store.publish(events[1]!);
        await sleep(300);
        expect(seen.length).toBe(count);
      });
    });

    describe('expiry', () => {
      it('forgets a task and its tokens once the deadline and token exp have passed', async () => {
        const now = nowSeconds();
        // exp and deadline are epoch seconds, 1-2 s ahead (now is floored)
        const { task, root } = await openTask(
          { createdAt: now, deadline: now + 2 },
          { exp: now + 2 },
        );
        const child = childTokenFixture(root, { exp: now + 2 });
        await store.recordToken(child);
        await expect(store.getTask(task.txn)).resolves.toMatchObject({ status: 'open' });
        // wait until a full second past the deadline (~2-3 s)
        await sleep((task.deadline + 1) * 1000 - Date.now() + 50);
        await expect(store.getTask(task.txn)).resolves.toBeUndefined();
        await expect(store.checkToken(task.txn, root.jti, root.anc)).resolves.toBe('unknown');
        await expect(store.checkToken(task.txn, child.jti, child.anc)).resolves.toBe('unknown');
      }, 10_000);
    });

    describe('cascade (property)', () => {
      it('a token is revoked iff it or one of its ancestors was revoked', async () => {
        const tree = fc
          .integer({ min: 1, max: 30 })
          .chain((n) =>
            fc.tuple(
              fc.array(fc.nat(), { minLength: n - 1, maxLength: n - 1 }),
              fc.array(fc.boolean(), { minLength: n, maxLength: n }),
            ),
          );
        await fc.assert(
          fc.asyncProperty(tree, async ([picks, revokes]) => {
            const nodes = shapeTree(picks, revokes);
            const { task, root } = await openTask();
            const tokens: TokenRecord[] = [root];
            for (const node of nodes.slice(1)) {
              const t = childTokenFixture(tokens[node.parent]!);
              await store.recordToken(t);
              tokens.push(t);
            }
            for (const [i, node] of nodes.entries())
              if (node.revoke) await store.revokeToken(task.txn, tokens[i]!.jti);
            for (const [i, t] of tokens.entries()) {
              const expected = lineage(nodes, i).some((j) => nodes[j]!.revoke)
                ? 'revoked'
                : 'active';
              const got = await store.checkToken(task.txn, t.jti, t.anc);
              if (got !== expected)
                throw new Error(
                  `token #${i} (anc depth ${t.anc.length}): expected ${expected}, got ${got}`,
                );
            }
          }),
          { numRuns: 15 },
        );
      });
    });
  });
}
