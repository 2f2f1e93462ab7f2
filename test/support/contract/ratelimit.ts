/**
 * The RateLimitStore contract (src/store/store.ts): fixed-window counters shared by every
 * instance on the store, one key each, never refusing (src/limits/ compares with the budget).
 */
import { STORE_LIMITS } from '../../../src/config/defaults.js';
import type { RateLimitStore } from '../../../src/store/store.js';
import type { MakeStore } from '../store-contract.js';

export function describeRateLimitContract(name: string, make: MakeStore): void {
  describe(`${name}: rate-limit budgets`, () => {
    let store: RateLimitStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make(STORE_LIMITS));
    });
    afterEach(async () => {
      await cleanup();
    });

    test('takes add up in one window, and the answer says when the window ends', async () => {
      expect((await store.takeBudget('c:agent-1', 5, 60)).consumed).toBe(5);
      const second = await store.takeBudget('c:agent-1', 2, 60);
      expect(second.consumed).toBe(7);
      expect(second.msBeforeReset).toBeGreaterThan(55_000);
      expect(second.msBeforeReset).toBeLessThanOrEqual(60_000);
    });

    test('each key and each window length counts apart', async () => {
      await store.takeBudget('c:agent-1', 3, 60);
      expect((await store.takeBudget('c:agent-2', 1, 60)).consumed).toBe(1);
      expect((await store.takeBudget('c:agent-1', 1, 30)).consumed).toBe(1);
    });

    test('a window that ended starts the count again', async () => {
      await store.takeBudget('c:short', 4, 1);
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await store.takeBudget('c:short', 1, 1)).consumed).toBe(1);
    });

    test('ids with braces, colons and spaces cannot break the key (no CROSSSLOT on a Cluster)', async () => {
      for (const key of ['fc:}', 'fc:{x}', 'fa:::1', 'fc:a b:{'])
        expect((await store.takeBudget(key, 1, 60)).consumed).toBe(1);
    });
  });
}
