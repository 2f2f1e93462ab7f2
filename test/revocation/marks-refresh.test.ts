/**
 * The marks cache at scale (src/revocation/marks.ts, docs/revocation.md "How long marks are
 * kept"): refreshes that never stack, reads from a cursor after the first full one, a full read
 * again after a feed gap or a new store epoch, marks forgotten one task lifetime (plus the clock
 * tolerance) after their stamp, by the injectable clock (src/clock.ts), and fail closed.
 */
import { setClock } from '../../src/clock.js';
import { DEFAULTS, STORE_LIMITS } from '../../src/config/defaults.js';
import { longestTaskSeconds, markRetentionSeconds } from '../../src/config/task-lifetime.js';
import { FeedHub } from '../../src/revocation/feed-hub.js';
import { MarkCache } from '../../src/revocation/marks.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import type { FeedEntry, MarkCursor, MarkPage, MarkReadOptions } from '../../src/store/store.js';
import { allMarks } from '../support/marks.js';
import { eventually, sleep } from '../support/revocation-flows.js';

const CONFIG = { defaults: { taskMaxSeconds: DEFAULTS.taskMaxSeconds } };
const LIFETIME = longestTaskSeconds(CONFIG);
const RETENTION = markRetentionSeconds(CONFIG);

/** A memory store whose mark reads can be slowed, failed, watched, and whose feed can drop. */
class ProbeStore extends MemoryStore {
  readDelayMs = 0;
  failReads = false;
  epochOverride: string | undefined;
  readonly cursors: (MarkCursor | undefined)[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private feedState: ((up: boolean) => void) | undefined;

  override async readMarks(
    after: MarkCursor | undefined,
    opts: MarkReadOptions,
  ): Promise<MarkPage> {
    this.cursors.push(after);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.readDelayMs > 0) await sleep(this.readDelayMs);
      if (this.failReads) throw new Error('store down');
      const page = await super.readMarks(after, opts);
      return this.epochOverride ? { ...page, epoch: this.epochOverride } : page;
    } finally {
      this.inFlight--;
    }
  }

  override async subscribe(onEntry: (e: FeedEntry) => void, onState?: (up: boolean) => void) {
    this.feedState = onState;
    return super.subscribe(onEntry, onState);
  }

  /** The live feed drops (or comes back), as a Redis subscription's connection does. */
  setFeed(up: boolean): void {
    this.feedState?.(up);
  }
}

const TOKEN = (rootStamp: number) => ({
  sub: 'alice@example.com',
  client_id: 'support-agent',
  actors: ['support-agent'],
  stamps: [rootStamp],
});

async function cacheOn(store: ProbeStore, refreshMs = 3_600_000) {
  const feed = new FeedHub(store);
  await feed.start();
  const marks = new MarkCache(store, feed, {
    maxStalenessMs: DEFAULTS.marksMaxStalenessMs,
    refreshMs,
    maxAgeSeconds: RETENTION,
    readChunk: DEFAULTS.marksReadChunk,
  });
  await marks.start();
  return {
    marks,
    stop: async () => {
      await marks.stop();
      await feed.stop();
      await store.close();
    },
  };
}

afterEach(() => setClock());

describe('marks cache refresh', () => {
  test('a refresh slower than the interval does not stack: one read at a time, the timer waits for it', async () => {
    const store = new ProbeStore(STORE_LIMITS);
    const c = await cacheOn(store, 5);
    try {
      store.readDelayMs = 50;
      // Count the timer's ticks: it calls refresh() on the instance each time.
      let ticks = 0;
      const refresh = c.marks.refresh.bind(c.marks);
      c.marks.refresh = () => {
        ticks++;
        return refresh();
      };
      // Each read outlasts ten ticks of the timer; wait for a few reads and many ticks.
      expect(await eventually(async () => store.cursors.length >= 4 && ticks >= 12)).toBe(true);
      expect(store.maxInFlight).toBe(1);
      expect(ticks).toBeGreaterThan(store.cursors.length);
    } finally {
      await c.stop();
    }
  });

  test('reads everything at start, then only from its cursor', async () => {
    const store = new ProbeStore(STORE_LIMITS);
    await store.putMark('user', 'bob@example.com');
    const c = await cacheOn(store);
    try {
      await c.marks.refresh();
      await c.marks.refresh();
      expect(store.cursors[0]).toBeUndefined();
      expect(store.cursors.slice(1)).toEqual([expect.any(Object), expect.any(Object)]);
      expect(c.marks.verdict(TOKEN(1))).toBe('ok');
      expect(c.marks.verdict({ ...TOKEN(1), sub: 'bob@example.com' })).toBe('revoked');
    } finally {
      await c.stop();
    }
  });

  test('after a feed gap the next refresh is a full read, and holds the mark the feed missed', async () => {
    const store = new ProbeStore(STORE_LIMITS);
    const c = await cacheOn(store);
    try {
      const root = (await store.putMark('agent', 'unrelated')) - 1;
      await c.marks.refresh();
      store.setFeed(false);
      // Written while this instance's feed was down: no event reaches it.
      await store.putMark('user', 'alice@example.com');
      store.setFeed(true);
      const before = store.cursors.length;
      await c.marks.refresh();
      expect(store.cursors[before]).toBeUndefined();
      expect(c.marks.verdict(TOKEN(root))).toBe('revoked');
    } finally {
      await c.stop();
    }
  });

  test("when the store's epoch changes (its marks were lost or replaced), reads everything again", async () => {
    const store = new ProbeStore(STORE_LIMITS);
    const c = await cacheOn(store);
    try {
      await store.putMark('agent', 'a');
      await c.marks.refresh();
      store.epochOverride = 'another-generation';
      const before = store.cursors.length;
      await c.marks.refresh();
      expect(store.cursors[before]).toEqual(expect.any(Object));
      expect(store.cursors[before + 1]).toBeUndefined();
    } finally {
      await c.stop();
    }
  });

  test('a mark one second younger than the longest task lifetime still applies; past the retention it is gone', async () => {
    const store = new ProbeStore(STORE_LIMITS);
    const c = await cacheOn(store);
    try {
      const root = (await store.putMark('agent', 'unrelated')) - 1;
      const mark = await store.putMark('user', 'alice@example.com');
      await store.putMark('all', '*');
      await c.marks.refresh();
      const markMs = mark / 1000;
      setClock(() => markMs + (LIFETIME - 1) * 1000);
      await c.marks.refresh();
      expect(c.marks.verdict({ ...TOKEN(root), sub: 'alice@example.com' })).toBe('revoked');
      expect(c.marks.size).toBe(3);
      setClock(() => markMs + (RETENTION + 1) * 1000);
      await c.marks.refresh();
      expect(c.marks.size).toBe(0);
      expect(c.marks.verdict(TOKEN(root))).toBe('ok');
      // Gone from the store too, and the kill switch's mark with it.
      const left = await allMarks(store, 10 * RETENTION);
      expect([left.agents.size, left.users.size, left.all]).toEqual([0, 0, 0]);
    } finally {
      await c.stop();
    }
  });

  test('reads that fail leave the marks unconfirmed: stale once the bound passes (fail closed)', async () => {
    const store = new ProbeStore(STORE_LIMITS);
    const c = await cacheOn(store);
    try {
      store.failReads = true;
      await c.marks.refresh();
      const later = Date.now() + DEFAULTS.marksMaxStalenessMs + 1_000;
      expect(c.marks.verdict(TOKEN(1), later)).toBe('stale');
      store.failReads = false;
      await c.marks.refresh();
      expect(c.marks.verdict(TOKEN(1))).toBe('ok');
    } finally {
      await c.stop();
    }
  });
});
