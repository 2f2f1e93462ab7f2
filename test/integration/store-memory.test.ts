/** The TokenStore contract on the embedded memory store. */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { describeRateLimitContract } from '../support/contract/ratelimit.js';
import { type MakeStore, runStoreContract } from '../support/store-contract.js';

const makeMemory: MakeStore = async () => {
  const store = new MemoryStore(STORE_LIMITS);
  return { store, cleanup: () => store.close() };
};
runStoreContract('MemoryStore', makeMemory);
describeRateLimitContract('MemoryStore', makeMemory);
