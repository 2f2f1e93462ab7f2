/** The store contract on the embedded memory store. */
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { runStoreContract } from '../support/store-contract.js';

runStoreContract('MemoryStore', async (limits) => {
  const store = new MemoryStore(limits);
  return { store, cleanup: () => store.close() };
});
