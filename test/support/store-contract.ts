/**
 * The store contract (src/store/store.ts): one suite per interface, run on every implementation
 * (test/store/store-memory.test.ts, test/store/store-redis.test.ts: memory, standalone Redis
 * and the 3-node Cluster). The parts live in test/support/store-contract/; each takes a getter
 * of the running test's store, which is fresh for every test (made by `make`, cleaned after).
 */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import type { StoreLimits, TokenStore } from '../../src/store/store.js';
import { describeApprovalContract } from './store-contract/approvals.js';
import { describeAuditCapsContract, describeAuditContract } from './store-contract/audit.js';
import { describeFeedContract } from './store-contract/feed.js';
import type { GetStore } from './store-contract/helpers.js';
import { describeLifecycleContract } from './store-contract/lifecycle.js';
import { describeMarkContract } from './store-contract/marks.js';
import { describeRenewalContract } from './store-contract/renewal.js';
import { describeReplayContract } from './store-contract/replay.js';
import { describeTaskContract } from './store-contract/tasks.js';
import { describeTokenStateContract } from './store-contract/token-state.js';

export type { GetStore } from './store-contract/helpers.js';

/** Makes a store sized by `limits`, and what deletes it (and its keys) afterwards. */
export type MakeStore = (
  limits: StoreLimits,
) => Promise<{ store: TokenStore; cleanup(): Promise<void> }>;

/** Small audit caps, so the trimming is seen in a few hundred events. */
const CAPPED: StoreLimits = {
  ...STORE_LIMITS,
  audit: { ...STORE_LIMITS.audit, taskMaxEvents: 5, globalMaxEvents: 8 },
};

/**
 * A fresh store for every test of the enclosing `describe` (made with `limits`, cleaned up
 * after the test); returns its getter, for the contract parts.
 */
export function freshStorePerTest(make: MakeStore, limits: StoreLimits = STORE_LIMITS): GetStore {
  let current: { store: TokenStore; cleanup(): Promise<void> } | undefined;
  beforeEach(async () => {
    current = await make(limits);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('the store is made per test: call the getter inside a test');
    return current.store;
  };
}

/** Every interface's contract on the stores `make` builds. */
export function runStoreContract(name: string, make: MakeStore): void {
  describe(name, () => {
    const getStore = freshStorePerTest(make);
    describeTaskContract(getStore);
    describeRenewalContract(getStore);
    describeTokenStateContract(getStore);
    describeMarkContract(getStore);
    describeFeedContract(getStore);
    describeApprovalContract(getStore);
    describeAuditContract(getStore);
    describeReplayContract(getStore);
    describeLifecycleContract(getStore);
  });
  describe(`${name} with small audit caps`, () => {
    describeAuditCapsContract(freshStorePerTest(make, CAPPED), CAPPED.audit);
  });
}
