/** The TokenStore contract on the embedded memory store. */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { describeFloodsContract } from '../support/contract/floods.js';
import { runStoreContract } from '../support/store-contract.js';

runStoreContract('MemoryStore', async () => {
  const store = new MemoryStore(STORE_LIMITS);
  return { store, cleanup: () => store.close() };
});

describeFloodsContract('MemoryStore', async (limits) => {
  const store = new MemoryStore(limits);
  return { store, cleanup: () => store.close() };
});
