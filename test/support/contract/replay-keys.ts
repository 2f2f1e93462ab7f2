/**
 * Store contract for single-use records (ReplayStore.useOnce), run on memory, standalone Redis
 * and the Cluster: a (namespace, id) pair names one record whatever separators the two hold.
 * Client ids and assertion jtis are caller text, so `assert:a:b` + `c` and `assert:a` + `b:c`
 * must be two records (src/store/once-key.ts), or one client's assertion burns another's.
 */
import { firstUseOfAssertion } from '../../../src/auth/replay.js';
import { epochSeconds } from '../../../src/clock.js';
import { STORE_LIMITS } from '../../../src/config/defaults.js';
import type { TokenStore } from '../../../src/store/store.js';
import type { MakeStore } from '../store-contract.js';

/** Pairs that a plain join with `:` (or NUL) would name alike. */
const LOOKALIKES: [string, string][][] = [
  [
    ['assert:a:b', 'c'],
    ['assert:a', 'b:c'],
  ],
  [
    ['assert:a', ':b'],
    ['assert:a:', 'b'],
  ],
  [
    ['x\u0000y', 'z'],
    ['x', 'y\u0000z'],
  ],
  [
    ['3:abc', 'd'],
    ['3', 'abc:d'],
  ],
];

export function describeReplayKeysContract(name: string, make: MakeStore): void {
  describe(`${name}: single-use records with separators in ids`, () => {
    let store: TokenStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make(STORE_LIMITS));
    });
    afterEach(async () => {
      await cleanup?.();
    });

    it.each(LOOKALIKES)('%j and %j are two records', async ([ns1, id1], [ns2, id2]) => {
      const exp = epochSeconds() + 60;
      expect(await store.useOnce(ns1, id1, exp)).toBe(true);
      expect(await store.useOnce(ns2, id2, exp)).toBe(true);
      expect(await store.useOnce(ns1, id1, exp)).toBe(false);
      expect(await store.useOnce(ns2, id2, exp)).toBe(false);
    });

    it('client a:b with jti c and client a with jti b:c each use their assertion once', async () => {
      const exp = epochSeconds() + 60;
      expect(await firstUseOfAssertion(store, 'a:b', 'c', exp)).toBe(true);
      expect(await firstUseOfAssertion(store, 'a', 'b:c', exp)).toBe(true);
      expect(await firstUseOfAssertion(store, 'a', 'b:c', exp)).toBe(false);
    });
  });
}
