/**
 * A real marks cache (src/revocation/marks.ts) on a memory store, for the rule tests: marks are
 * applied the way the revocation feed delivers them.
 */
import { DEFAULTS, STORE_LIMITS } from '../../src/config/defaults.js';
import { markRetentionSeconds } from '../../src/config/task-lifetime.js';
import { FeedHub } from '../../src/revocation/feed-hub.js';
import { MarkCache } from '../../src/revocation/marks.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { readAllMarks } from '../../src/store/mark-pages.js';
import type { FeedEvent, MarkStore, TokenStore } from '../../src/store/store.js';

const DEFAULT_MAX_AGE = markRetentionSeconds({
  defaults: { taskMaxSeconds: DEFAULTS.taskMaxSeconds },
});

/** A marks cache that has just been confirmed fresh and holds exactly `events`. */
export async function marksWith(
  events: FeedEvent[],
  maxStalenessMs = 60_000,
): Promise<{ marks: MarkCache; stop(): Promise<void> }> {
  const store = new MemoryStore(STORE_LIMITS);
  const feed = new FeedHub(store);
  await feed.start();
  const marks = new MarkCache(store, feed, {
    maxStalenessMs,
    refreshMs: 3_600_000,
    maxAgeSeconds: DEFAULT_MAX_AGE,
    readChunk: DEFAULTS.marksReadChunk,
  });
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

/** Every live mark in `store`, read page by page as a full read does (default lifetime). */
export function allMarks(store: Pick<MarkStore, 'readMarks'>, maxAgeSeconds = DEFAULT_MAX_AGE) {
  return readAllMarks(store, { limit: DEFAULTS.marksReadChunk, maxAgeSeconds });
}

/**
 * `store` with a switch on its live feed: `drop()` makes the subscription report itself down and
 * swallow events (a lost pub/sub connection), `restore()` brings it back. The rest is `store`.
 */
export function withFeedSwitch<S extends TokenStore>(store: S) {
  let down = false;
  const states = new Set<(up: boolean) => void>();
  const subscribe: TokenStore['subscribe'] = (onEntry, onState) => {
    if (onState) states.add(onState);
    return store.subscribe(
      (e) => {
        if (!down) onEntry(e);
      },
      (up) => onState?.(up && !down),
    );
  };
  // A request's view of the store (within) keeps the switch too.
  const wrap = (s: S): S =>
    new Proxy(s, {
      get(target, p) {
        if (p === 'subscribe') return subscribe;
        if (p === 'within')
          return (budget: Parameters<TokenStore['within']>[0]) => wrap(target.within(budget));
        const v = Reflect.get(target, p, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  const proxy = wrap(store);
  return {
    store: proxy,
    drop() {
      down = true;
      for (const s of states) s(false);
    },
    restore() {
      down = false;
      for (const s of states) s(true);
    },
  };
}
