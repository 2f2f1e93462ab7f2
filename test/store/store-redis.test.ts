/**
 * The store contract on real Redis: the shared standalone server (testRedisUrl) and a
 * 3-master cluster (shared or private, see startRedisCluster). Every store gets its own key
 * prefix (uniquePrefix) so runs never collide, and its keys are deleted after each test.
 */
import { REDIS_STORE_DEFAULTS, STORE_LIMITS } from '../../src/config/defaults.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  startRedisCluster,
  type TestRedisCluster,
  testRedisUrl,
  uniquePrefix,
} from '../support/redis.js';
import { dropKeysUnder } from '../support/redis-keys.js';
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

const standalone: MakeStore = async (limits = STORE_LIMITS) => {
  const url = testRedisUrl();
  const prefix = uniquePrefix();
  const store = await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, ...limits, url, prefix });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropKeysUnder({ url }, prefix);
    },
  };
};
runStoreContract('RedisStore (standalone)', standalone);
describeFeedContract('RedisStore (standalone)', () => standalone(STORE_LIMITS));
describeFloodsContract('RedisStore (standalone)', standalone);
describeMarksContract('RedisStore (standalone)', () => standalone(STORE_LIMITS));
describeDpopContract('RedisStore (standalone)', standalone);
describeReplayKeysContract('RedisStore (standalone)', standalone);
describeRateLimitContract('RedisStore (standalone)', standalone);
describeTaskIndexContract('RedisStore (standalone)', standalone);
describeSessionContract('RedisStore (standalone)', standalone);
describeIdempotentWritesContract(() => standalone(STORE_LIMITS));

describe('on a 3-node cluster', () => {
  let cluster: TestRedisCluster | undefined;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  const onCluster: MakeStore = async (limits = STORE_LIMITS) => {
    if (!cluster) throw new Error('cluster did not start');
    const { nodes } = cluster;
    const prefix = uniquePrefix();
    const store = await RedisStore.connect({
      ...REDIS_STORE_DEFAULTS,
      ...limits,
      cluster: nodes,
      prefix,
    });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropKeysUnder({ cluster: nodes }, prefix);
      },
    };
  };
  runStoreContract('RedisStore (cluster)', onCluster);
  describeFeedContract('RedisStore (cluster)', () => onCluster(STORE_LIMITS));
  describeFloodsContract('RedisStore (cluster)', onCluster);
  describeMarksContract('RedisStore (cluster)', () => onCluster(STORE_LIMITS));
  describeDpopContract('RedisStore (cluster)', onCluster);
  describeReplayKeysContract('RedisStore (cluster)', onCluster);
  describeRateLimitContract('RedisStore (cluster)', onCluster);
  describeTaskIndexContract('RedisStore (cluster)', onCluster);
  describeSessionContract('RedisStore (cluster)', onCluster);
  describeIdempotentWritesContract(() => onCluster(STORE_LIMITS));
});
