/** TaskStore: starting tasks, recording tokens, ending tasks, the task tree, expiry. */
import { epochSeconds } from '../../../src/clock.js';
import type { TokenStore } from '../../../src/store/store.js';
import {
  childTokenFixture,
  expectRejection,
  newTxn,
  rootTokenFixture,
  sleep,
} from '../store-fixtures.js';
import { type GetStore, openTask, recordChain } from './helpers.js';

export function describeTaskContract(getStore: GetStore): void {
  describe('tasks', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

    describe('tasks and records', () => {
      it('startTask creates an open task with a numeric stamp and records its first token as active', async () => {
        const { task, root, stamp } = await openTask(store);
        expect(Number.isSafeInteger(stamp)).toBe(true);
        const got = await store.getTask(task.txn);
        expect(got).toEqual({ ...task, status: 'open', stamp });
        await expect(store.checkToken(task.txn, root.jti, root.anc)).resolves.toBe('active');
      });

      it('stamps are epoch microseconds (within a minute of the wall clock)', async () => {
        const { root, stamp } = await openTask(store);
        const recorded = await store.recordToken(childTokenFixture(root));
        const mark = await store.putMark('agent', 'agent-stamp-check');
        for (const s of [stamp, recorded, mark]) {
          expect(Number.isSafeInteger(s)).toBe(true);
          expect(Math.abs(s - Date.now() * 1000)).toBeLessThan(60_000_000);
        }
      });

      it('recordToken returns a stamp strictly greater than its task stamp, increasing across records', async () => {
        const { root, stamp } = await openTask(store);
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
        const { task, root } = await openTask(store);
        await store.endTask(task.txn, 'completed', task.owner, 'succeeded');
        const late = childTokenFixture(root);
        await expectRejection(store.recordToken(late), 'task_ended');
        await expect(store.checkToken(task.txn, late.jti, late.anc)).resolves.toBe('unknown');
        const tree = await store.getTaskTree(task.txn);
        expect(tree?.tokens.map((t) => t.jti)).not.toContain(late.jti);
      });

      it('refuses a record under a revoked ancestor (revoked) and records nothing', async () => {
        const { task, root } = await openTask(store);
        const [c1, c2] = await recordChain(store, root, 2);
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
    describe('endTask', () => {
      it('ends an open task once: { ended: live tokens, changed: true }, and getTask shows how', async () => {
        const { task, root } = await openTask(store);
        await recordChain(store, root, 2);
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
        const { task } = await openTask(store);
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
        const { task } = await openTask(store);
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
        const { task, root, stamp } = await openTask(store);
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
    describe('expiry', () => {
      it('forgets a task and its tokens once the deadline and token exp have passed', async () => {
        const now = epochSeconds();
        // exp and deadline are epoch seconds, 1-2 s ahead (now is floored)
        const { task, root } = await openTask(
          store,
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
  });
}
