/** The TokenStore contract on the embedded memory store. */
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { runStoreContract } from '../support/store-contract.js';

runStoreContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});
