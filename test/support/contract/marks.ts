/**
 * Contract cases of the marks at scale (MarkStore.readMarks: docs/revocation.md, "How long
 * marks are kept"): reads page from a cursor, never the whole set; marks past the age given
 * are dropped from the store; the epoch names one generation of the marks. Run on every store
 * (test/store/store-memory.test.ts, test/store/store-redis.test.ts).
 */
import type { MarkCursor, MarkEntry, TokenStore } from '../../../src/store/store.js';
import { allMarks } from '../marks.js';

type MakeStore = () => Promise<{ store: TokenStore; cleanup(): Promise<void> }>;

const LIVE = 3600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (page: { marks: MarkEntry[] }) => page.marks.map((m) => `${m.kind}:${m.id}`);

export function describeMarksContract(name: string, make: MakeStore): void {
  describe(`${name}: marks read page by page and expire`, () => {
    let store: TokenStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup?.();
    });

    test('reads marks oldest first, at most `limit` per call, then only those after the cursor', async () => {
      for (let i = 0; i < 5; i++) await store.putMark('agent', `a${i}`);
      const opts = { limit: 2, maxAgeSeconds: LIVE };
      const p1 = await store.readMarks(undefined, opts);
      const p2 = await store.readMarks(p1.next, opts);
      const p3 = await store.readMarks(p2.next, opts);
      expect([ids(p1), ids(p2), ids(p3)]).toEqual([
        ['agent:a0', 'agent:a1'],
        ['agent:a2', 'agent:a3'],
        ['agent:a4'],
      ]);
      expect([p1.more, p2.more, p3.more]).toEqual([true, true, false]);
      const idle = await store.readMarks(p3.next, opts);
      expect(idle.marks).toEqual([]);
      expect(idle.more).toBe(false);
      await store.putMark('user', 'alice@example.com');
      expect(ids(await store.readMarks(idle.next, opts))).toEqual(['user:alice@example.com']);
    });

    test('a mark written again is read again after the cursor, with its new stamp', async () => {
      await store.putMark('agent', 'a');
      await store.putMark('agent', 'b');
      const opts = { limit: 10, maxAgeSeconds: LIVE };
      const first = await store.readMarks(undefined, opts);
      const again = await store.putMark('agent', 'a');
      const next = await store.readMarks(first.next, opts);
      expect(next.marks).toEqual([{ kind: 'agent', id: 'a', stamp: again }]);
      expect((await allMarks(store)).agents).toEqual(
        new Map([
          ['a', again],
          ['b', first.marks[1]?.stamp],
        ]),
      );
    });

    test('marks older than maxAgeSeconds are dropped from the store, the kill switch too', async () => {
      await store.putMark('agent', 'a');
      await store.putMark('user', 'u');
      await store.putMark('all', '*');
      expect((await allMarks(store)).all).toBeGreaterThan(0);
      await sleep(5);
      // With no age allowed, every mark written before the read is expired.
      const gone = await store.readMarks(undefined, { limit: 10, maxAgeSeconds: 0 });
      expect(gone.marks).toEqual([]);
      // Dropped from the store itself, not just skipped: a read allowing any age finds none.
      const after = await allMarks(store, LIVE);
      expect([after.agents.size, after.users.size, after.all]).toEqual([0, 0, 0]);
    });

    test('dropping expired marks is bounded per call too, and says more are coming', async () => {
      for (let i = 0; i < 5; i++) await store.putMark('user', `u${i}`);
      await sleep(5);
      const opts = { limit: 2, maxAgeSeconds: 0 };
      let cursor: MarkCursor | undefined;
      const more: boolean[] = [];
      for (let i = 0; i < 10; i++) {
        const page = await store.readMarks(cursor, opts);
        more.push(page.more);
        cursor = page.next;
        if (!page.more) break;
      }
      expect(more).toEqual([true, true, false]);
      expect((await allMarks(store, LIVE)).users.size).toBe(0);
    });

    test('the epoch stays the same from one read to the next', async () => {
      const a = await store.readMarks(undefined, { limit: 10, maxAgeSeconds: LIVE });
      await store.putMark('agent', 'a');
      const b = await store.readMarks(a.next, { limit: 10, maxAgeSeconds: LIVE });
      expect(a.epoch).toEqual(expect.any(String));
      expect(b.epoch).toBe(a.epoch);
    });
  });
}
