/** FeedStore: the revocation feed (append, read after a cursor, live subscription). */
import type { FeedEntry, FeedEvent, TokenStore } from '../../../src/store/store.js';
import { compareFeedIds, sleep, waitFor } from '../store-fixtures.js';
import type { GetStore } from './helpers.js';

export function describeFeedContract(getStore: GetStore): void {
  describe('revocation feed', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

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
}
