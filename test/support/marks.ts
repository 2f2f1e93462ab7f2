/**
 * A real marks cache (src/revocation/marks.ts) on a memory store, for the rule tests: marks are
 * applied the way the revocation feed delivers them.
 */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { FeedHub } from '../../src/revocation/feed-hub.js';
import { MarkCache } from '../../src/revocation/marks.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import type { FeedEvent } from '../../src/store/store.js';

/** A marks cache that has just been confirmed fresh and holds exactly `events`. */
export async function marksWith(
  events: FeedEvent[],
  maxStalenessMs = 60_000,
): Promise<{ marks: MarkCache; stop(): Promise<void> }> {
  const store = new MemoryStore(STORE_LIMITS);
  const feed = new FeedHub(store);
  await feed.start();
  const marks = new MarkCache(store, feed, maxStalenessMs, 3_600_000);
  await marks.start();
  for (const event of events) marks.apply({ event });
  return {
    marks,
    stop: async () => {
      await marks.stop();
      await feed.stop();
      await store.close();
    },
  };
}
