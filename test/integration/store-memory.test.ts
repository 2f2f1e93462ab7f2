/** The TokenStore contract on the embedded memory store. */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { runStoreContract } from '../support/store-contract.js';
import { describeDpopContract } from '../support/contract/dpop.js';

const memory = async () => {
  const store = new MemoryStore(STORE_LIMITS);
  return { store, cleanup: () => store.close() };
};
runStoreContract('MemoryStore', memory);
describeDpopContract('MemoryStore', memory);
