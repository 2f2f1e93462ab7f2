/** ReplayStore: single-use ids. */
import { epochSeconds } from '../../../src/clock.js';
import type { TokenStore } from '../../../src/store/store.js';
import { newJti } from '../store-fixtures.js';
import type { GetStore } from './helpers.js';

export function describeReplayContract(getStore: GetStore): void {
  describe('useOnce', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

    it('is true the first time only, per (namespace, id); namespaces are independent', async () => {
      const exp = epochSeconds() + 60;
      const id = newJti();
      await expect(store.useOnce('client-assertion', id, exp)).resolves.toBe(true);
      await expect(store.useOnce('client-assertion', id, exp)).resolves.toBe(false);
      await expect(store.useOnce('client-assertion', id, exp)).resolves.toBe(false);
      await expect(store.useOnce('dpop', id, exp)).resolves.toBe(true);
      await expect(store.useOnce('dpop', id, exp)).resolves.toBe(false);
      await expect(store.useOnce('client-assertion', newJti(), exp)).resolves.toBe(true);
    });
  });
}
