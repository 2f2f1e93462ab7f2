/**
 * StoreLifecycle: /readyz asks `ping`; shutdown calls `close`, which ends what the store holds
 * open (its connections and every live feed subscription), so the process can exit.
 */
import { StoreUnavailable, type TokenStore } from '../../../src/store/store.js';
import { waitFor } from '../store-fixtures.js';
import type { GetStore } from './helpers.js';

export function describeLifecycleContract(getStore: GetStore): void {
  describe('lifecycle', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

    it('ping resolves on an open store', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('after close, ping fails with StoreUnavailable (a closed store is not ready)', async () => {
      await store.close();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailable);
    });

    it('close ends every live subscription: each hears it is disconnected', async () => {
      const states: boolean[] = [];
      await store.subscribe(
        () => undefined,
        (up) => states.push(up),
      );
      await waitFor(() => states.includes(true), 'the subscription to connect');
      await store.close();
      await waitFor(() => states.at(-1) === false, 'the subscription to hear the store closed');
    });

    it('close is idempotent', async () => {
      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}
