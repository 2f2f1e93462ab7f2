/** The store contract on the embedded memory store. */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { describeIdempotentWritesContract } from '../support/contract/deadline.js';
import { describeRateLimitContract } from '../support/contract/ratelimit.js';
import { describeDpopContract } from '../support/contract/dpop.js';
import { describeFeedContract } from '../support/contract/feed.js';
import { describeFloodsContract } from '../support/contract/floods.js';
import { describeReplayKeysContract } from '../support/contract/replay-keys.js';
import { describeMarksContract } from '../support/contract/marks.js';
import { describeSessionContract } from '../support/contract/sessions.js';
import { describeTaskIndexContract } from '../support/contract/task-index.js';
import { type MakeStore, runStoreContract } from '../support/store-contract.js';

const memory: MakeStore = async (limits = STORE_LIMITS) => {
  const store = new MemoryStore(limits);
  return { store, cleanup: () => store.close() };
};
runStoreContract('MemoryStore', memory);
describeFeedContract('MemoryStore', () => memory(STORE_LIMITS));
describeFloodsContract('MemoryStore', memory);
describeMarksContract('MemoryStore', () => memory(STORE_LIMITS));
describeIdempotentWritesContract(() => memory(STORE_LIMITS));
describeRateLimitContract('MemoryStore', memory);
describeDpopContract('MemoryStore', memory);
describeReplayKeysContract('MemoryStore', memory);
describeTaskIndexContract('MemoryStore', memory);
describeSessionContract('MemoryStore', memory);
