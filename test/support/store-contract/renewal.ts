/** TaskStore.renewTask: the deadline moves atomically with the renewed token's record. */
import { epochSeconds } from '../../../src/clock.js';
import type { TokenStore } from '../../../src/store/store.js';
import { childTokenFixture, expectRejection, sleep } from '../store-fixtures.js';
import { type GetStore, openTask } from './helpers.js';

export function describeRenewalContract(getStore: GetStore): void {
  describe('renewal', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

    it('moves the deadline and records the renewed token as active, in one step', async () => {
      const { task, root } = await openTask(store);
      const renewed = childTokenFixture(root, { exp: task.deadline + 600 });
      const stamp = await store.renewTask(renewed, task.deadline + 600);
      expect(Number.isSafeInteger(stamp)).toBe(true);
      await expect(store.getTask(task.txn)).resolves.toMatchObject({
        status: 'open',
        deadline: task.deadline + 600,
        createdAt: task.createdAt,
      });
      await expect(store.checkToken(task.txn, renewed.jti, renewed.anc)).resolves.toBe('active');
      // Tokens already recorded keep theirs: the root is still active with its own exp.
      await expect(store.checkToken(task.txn, root.jti, root.anc)).resolves.toBe('active');
    });

    it('refuses a deadline that does not move later (not_extended) and changes nothing', async () => {
      const { task, root } = await openTask(store);
      const renewed = childTokenFixture(root);
      await expectRejection(store.renewTask(renewed, task.deadline), 'not_extended');
      await expect(store.getTask(task.txn)).resolves.toMatchObject({ deadline: task.deadline });
      await expect(store.checkToken(task.txn, renewed.jti, renewed.anc)).resolves.toBe('unknown');
    });

    it('refuses an ended task (task_ended) and a revoked ancestor (revoked)', async () => {
      const a = await openTask(store);
      await store.endTask(a.task.txn, 'completed', a.task.owner, 'succeeded');
      await expectRejection(
        store.renewTask(childTokenFixture(a.root), a.task.deadline + 60),
        'task_ended',
      );
      const b = await openTask(store);
      await store.revokeToken(b.task.txn, b.root.jti);
      await expectRejection(
        store.renewTask(childTokenFixture(b.root), b.task.deadline + 60),
        'revoked',
      );
      await expect(store.getTask(b.task.txn)).resolves.toMatchObject({
        deadline: b.task.deadline,
      });
    });

    it('keeps the task and its tokens past the old deadline (its keys live to the new one)', async () => {
      const now = epochSeconds();
      const { task, root } = await openTask(
        store,
        { createdAt: now, deadline: now + 2 },
        { exp: now + 2 },
      );
      await store.revokeToken(task.txn, 'some-revoked-jti');
      const renewed = childTokenFixture(root, { exp: now + 600 });
      await store.renewTask(renewed, now + 600);
      // wait until a full second past the old deadline (~2-3 s)
      await sleep((task.deadline + 1) * 1000 - Date.now() + 50);
      await expect(store.getTask(task.txn)).resolves.toMatchObject({ status: 'open' });
      await expect(store.checkToken(task.txn, renewed.jti, renewed.anc)).resolves.toBe('active');
      const tree = await store.getTaskTree(task.txn);
      expect(tree?.revoked).toEqual(['some-revoked-jti']);
      // The admin index follows: still listed, and counted open, past the old deadline.
      const page = await store.listTaskIds(now - 60, undefined, 1000);
      expect(page.txns).toEqual([task.txn]);
      await expect(store.countOpenTasks(now - 60)).resolves.toBe(1);
    }, 10_000);
  });
}
