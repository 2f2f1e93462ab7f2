/** The TokenStore contract on the embedded memory store. */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { describeIdempotentWritesContract } from '../support/contract/deadline.js';
import { runStoreContract } from '../support/store-contract.js';

const makeMemory = async () => {
  const store = new MemoryStore(STORE_LIMITS);
  return { store, cleanup: () => store.close() };
};

runStoreContract('MemoryStore', makeMemory);
describeIdempotentWritesContract(makeMemory);
