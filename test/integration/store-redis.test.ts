/**
 * The TokenStore contract on real Redis: the shared standalone server (testRedisUrl) and a
 * 3-master cluster (shared or private, see startRedisCluster). Every store gets its own key
 * prefix (uniquePrefix) so runs never collide, and its keys are deleted after each test.
 */
import { REDIS_STORE_DEFAULTS } from '../../src/config/defaults.js';
import { Cluster, Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  startRedisCluster,
  testRedisUrl,
  uniquePrefix,
  type TestRedisCluster,
} from '../support/redis.js';
import { runStoreContract } from '../support/store-contract.js';
import { describeDpopContract } from '../support/contract/dpop.js';

/** Deletes every key under `prefix` on one node (one key per UNLINK: keys may sit in different slots). */
async function dropPrefixOn(node: Redis, prefix: string): Promise<void> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of found) await node.unlink(key);
  } while (cursor !== '0');
}

async function dropPrefixStandalone(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await dropPrefixOn(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

async function dropPrefixCluster(nodes: TestRedisCluster['nodes'], prefix: string): Promise<void> {
  const cluster = new Cluster(nodes, {
    lazyConnect: true,
    redisOptions: { maxRetriesPerRequest: 1 },
  });
  try {
    await cluster.connect();
    for (const master of cluster.nodes('master')) await dropPrefixOn(master, prefix);
  } finally {
    cluster.disconnect();
  }
}

const standalone = async () => {
  const url = testRedisUrl();
  const prefix = uniquePrefix();
  const store = await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, url, prefix });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropPrefixStandalone(url, prefix);
    },
  };
};
runStoreContract('RedisStore (standalone)', standalone);
describeDpopContract('RedisStore (standalone)', standalone);

describe('on a 3-node cluster', () => {
  let cluster: TestRedisCluster | undefined;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  const onCluster = async () => {
    if (!cluster) throw new Error('cluster did not start');
    const { nodes } = cluster;
    const prefix = uniquePrefix();
    const store = await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, cluster: nodes, prefix });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropPrefixCluster(nodes, prefix);
      },
    };
  };
  runStoreContract('RedisStore (cluster)', onCluster);
  describeDpopContract('RedisStore (cluster)', onCluster);
});
