/**
 * Store contract cases for DPoP (RFC 9449), run on memory, standalone Redis and the Cluster: a task
 * keeps the key thumbprint it was started bound to, and a proof's replay record (namespace with
 * the key's `{jkt}` hash tag) is single-use until it lapses.
 */
import type { TokenStore } from '../../../src/store/store.js';
import { epochSeconds as nowSeconds } from '../../../src/clock.js';
import { STORE_LIMITS } from '../../../src/config/defaults.js';
import { rootTokenFixture, taskFixture } from '../store-fixtures.js';
import type { MakeStore } from '../store-contract.js';

export function describeDpopContract(name: string, make: MakeStore): void {
  describe(`${name}: DPoP`, () => {
    let store: TokenStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make(STORE_LIMITS));
    });
    afterEach(async () => {
      await cleanup?.();
    });

    it('a task started bound keeps its jkt; an unbound one has none', async () => {
      const bound = taskFixture({ jkt: 'jkt-of-the-agent-key' });
      await store.startTask(bound, rootTokenFixture(bound));
      expect((await store.getTask(bound.txn))?.jkt).toBe('jkt-of-the-agent-key');
      const plain = taskFixture();
      await store.startTask(plain, rootTokenFixture(plain));
      expect((await store.getTask(plain.txn))?.jkt).toBeUndefined();
    });

    it('a proof record under a {jkt} namespace is used once; another key or htu is another record', async () => {
      const exp = nowSeconds() + 60;
      expect(await store.useOnce('dpop:{k1}', 'h1', exp)).toBe(true);
      expect(await store.useOnce('dpop:{k1}', 'h1', exp)).toBe(false);
      expect(await store.useOnce('dpop:{k2}', 'h1', exp)).toBe(true);
      expect(await store.useOnce('dpop:{k1}', 'h2', exp)).toBe(true);
    });
  });
}
