/**
 * The TaskIndexStore contract (src/store/store.ts): tasks listed newest start first (ties by
 * id) with exact cursor paging across hours and shards, and open tasks counted.
 */
import { STORE_LIMITS } from '../../../src/config/defaults.js';
import { epochSeconds } from '../../../src/clock.js';
import type { TokenStore } from '../../../src/store/store.js';
import type { MakeStore } from '../store-contract.js';
import { openTask } from '../store-contract/helpers.js';

async function pageAll(store: TokenStore, since: number, limit: number) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTaskIds(since, cursor, limit);
    pages.push(page.txns);
    cursor = page.next;
  } while (cursor !== undefined && pages.length < 50);
  return pages;
}

export function describeTaskIndexContract(name: string, make: MakeStore): void {
  describe(`${name}: task index`, () => {
    let store: TokenStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make(STORE_LIMITS));
    });
    afterEach(async () => {
      await cleanup();
    });

    test('lists tasks newest start first and pages exactly across hours', async () => {
      const now = epochSeconds();
      const starts = [now - 7300, now - 3700, now - 3650, now - 100, now - 50, now - 10, now];
      const made = [];
      for (const createdAt of starts)
        made.push((await openTask(store, { createdAt, deadline: now + 600 })).task);
      const expected = made
        .sort((a, b) => b.createdAt - a.createdAt || (a.txn < b.txn ? 1 : -1))
        .map((t) => t.txn);
      const pages = await pageAll(store, now - 8000, 3);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(expected);
    });

    test('tasks started in one second are ordered by id and none is lost between pages', async () => {
      const now = epochSeconds();
      const txns: string[] = [];
      for (let i = 0; i < 12; i++)
        txns.push((await openTask(store, { createdAt: now, deadline: now + 600 })).task.txn);
      const pages = await pageAll(store, now - 60, 5);
      expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
      expect(pages.flat()).toEqual([...txns].sort().reverse());
    });

    test('`since` leaves out tasks started before it', async () => {
      const now = epochSeconds();
      await openTask(store, { createdAt: now - 900, deadline: now + 600 });
      const recent = (await openTask(store, { createdAt: now - 5, deadline: now + 600 })).task;
      expect((await store.listTaskIds(now - 60, undefined, 10)).txns).toEqual([recent.txn]);
    });

    test('counts open tasks: an ended task or one past its deadline is not open', async () => {
      const now = epochSeconds();
      const a = (await openTask(store, { deadline: now + 600 })).task;
      await openTask(store, { deadline: now + 600 });
      await openTask(store, { createdAt: now - 100, deadline: now - 1 });
      expect(await store.countOpenTasks(now - 3600)).toBe(2);
      await store.endTask(a.txn, 'revoked', 'admin');
      expect(await store.countOpenTasks(now - 3600)).toBe(1);
    });
  });
}
