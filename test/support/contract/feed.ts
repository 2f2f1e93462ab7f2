/**
 * Contract cases of the revocation feed's bounds and of which revocations reached the feed
 * (FeedStore.feedBounds, TokenStateStore.revokeToken's answer, NoticeStore), run on every store
 * (test/store/store-memory.test.ts, test/store/store-redis.test.ts).
 */
import { compareFeedIds, FEED_ID, type FeedEvent } from '../../../src/protocol/feed.js';
import type { TokenStore } from '../../../src/store/store.js';
import { newJti, newTxn, rootTokenFixture, taskFixture } from '../store-fixtures.js';

type MakeStore = () => Promise<{ store: TokenStore; cleanup(): Promise<void> }>;

const event = (jti: string): FeedEvent => ({ type: 'token', txn: 'txn-f', jti, stamp: 1 });

export function describeFeedContract(name: string, make: MakeStore): void {
  describe(`${name}: feed bounds and notices`, () => {
    let store: TokenStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup?.();
    });

    async function openTask() {
      const task = taskFixture();
      const root = rootTokenFixture(task);
      await store.startTask(task, root);
      return { txn: task.txn, jti: root.jti };
    }

    it('an empty feed has no bounds', async () => {
      await expect(store.feedBounds()).resolves.toEqual({});
    });

    it('feedBounds names the newest and the first id kept; ids are FEED_IDs in order', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await store.publish(event(`j${i}`)));
      for (const id of ids) expect(id).toMatch(FEED_ID);
      expect(compareFeedIds(ids[0]!, ids[1]!)).toBe(-1);
      expect(compareFeedIds(ids[1]!, ids[2]!)).toBe(-1);
      await expect(store.feedBounds()).resolves.toEqual({ newest: ids[2], first: ids[0] });
    });

    it('revokeToken says whether it changed anything, and undefined for a task that is gone', async () => {
      const { txn, jti } = await openTask();
      await expect(store.revokeToken(txn, jti)).resolves.toEqual({ changed: true });
      await expect(store.revokeToken(txn, jti)).resolves.toEqual({ changed: false });
      await expect(store.revokeToken(newTxn(), newJti())).resolves.toBeUndefined();
    });

    it('a notice is kept per revocation: the task end apart from each token', async () => {
      const { txn, jti } = await openTask();
      const other = newJti();
      await expect(store.wasNotified(txn)).resolves.toBe(false);
      await expect(store.wasNotified(txn, jti)).resolves.toBe(false);
      await store.noteNotified(txn, jti);
      await expect(store.wasNotified(txn, jti)).resolves.toBe(true);
      await expect(store.wasNotified(txn)).resolves.toBe(false);
      await expect(store.wasNotified(txn, other)).resolves.toBe(false);
      await store.noteNotified(txn);
      await expect(store.wasNotified(txn)).resolves.toBe(true);
    });

    it('a notice for a task that is gone is not kept', async () => {
      const txn = newTxn();
      await store.noteNotified(txn);
      await expect(store.wasNotified(txn)).resolves.toBe(false);
    });
  });
}
