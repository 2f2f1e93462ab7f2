/**
 * Writes answered 503 may still apply later (docs/operations.md, "When the store hangs"), so a
 * caller repeats them: each revocation and completion write ends in the same state however
 * often it runs. Run on every store (test/integration/store-memory.test.ts, store-redis.test.ts).
 */
import type { TokenStore } from '../../../src/store/store.js';
import { childTokenFixture, rootTokenFixture, taskFixture } from '../store-fixtures.js';
import { allMarks } from '../marks.js';

/** A fresh store and how to dispose of it (the shape store-contract.ts's `MakeStore` has). */
type GetStore = () => Promise<{ store: TokenStore; cleanup(): Promise<void> }>;

export function describeIdempotentWritesContract(make: GetStore): void {
  describe('revocation and completion writes are idempotent (safe to repeat after a 503)', () => {
    let current: { store: TokenStore; cleanup(): Promise<void> } | undefined;
    const getStore = () => current!.store;
    beforeEach(async () => {
      current = await make();
    });
    afterEach(async () => {
      await current?.cleanup();
    });

    test('revoking a token twice leaves it revoked, and its descendants with it', async () => {
      const store = getStore();
      const task = taskFixture();
      const root = rootTokenFixture(task);
      await store.startTask(task, root);
      const child = childTokenFixture(root);
      await store.recordToken(child);
      await store.revokeToken(task.txn, root.jti);
      await store.revokeToken(task.txn, root.jti);
      expect(await store.checkToken(task.txn, root.jti, root.anc)).toBe('revoked');
      expect(await store.checkToken(task.txn, child.jti, child.anc)).toBe('revoked');
    });

    test('ending a task twice: the second changes nothing and keeps the first outcome', async () => {
      const store = getStore();
      const task = taskFixture();
      const root = rootTokenFixture(task);
      await store.startTask(task, root);
      const first = await store.endTask(task.txn, 'completed', task.owner, 'succeeded');
      const again = await store.endTask(task.txn, 'completed', task.owner, 'failed');
      expect(first).toMatchObject({ changed: true });
      expect(again).toMatchObject({ changed: false });
      expect(await store.getTask(task.txn)).toMatchObject({
        status: 'completed',
        outcome: 'succeeded',
      });
      expect(await store.checkToken(task.txn, root.jti, root.anc)).not.toBe('active');
    });

    test('a mark written twice is still a mark, never cleared by the repeat', async () => {
      const store = getStore();
      const agent = `agent-${task()}`;
      const first = await store.putMark('agent', agent);
      const second = await store.putMark('agent', agent);
      expect(second).toBeGreaterThanOrEqual(first);
      expect((await allMarks(store)).agents.get(agent)).toBe(second);
    });
  });
}

const task = () => taskFixture().txn;
