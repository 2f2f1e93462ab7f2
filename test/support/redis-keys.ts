/**
 * What tests leave on a shared Redis: every key a test writes sits under its uniquePrefix(), and
 * the test deletes that prefix when it is done (afterAll/afterEach) with dropKeysUnder. SCAN,
 * never KEYS or FLUSHALL: other suites share the server. On a cluster each master is scanned,
 * since a prefix's keys spread over every slot.
 */
import { Cluster, Redis } from 'ioredis';
import { PREFIX_FAMILY, type RedisNode } from './redis.js';

/** Where a store's keys live: one standalone server, or a cluster's seed nodes. */
export type RedisTarget = { url: string } | { cluster: RedisNode[] };

const matchAll = (prefix: string): string => `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;

/** Every key under `prefix` on one node, sorted. */
export async function scanKeys(node: Redis, prefix: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await node.scan(cursor, 'MATCH', matchAll(prefix), 'COUNT', 1000);
    for (const k of batch) found.add(k);
    cursor = next;
  } while (cursor !== '0');
  return [...found].sort();
}

/** Runs `op` on each standalone node (one) or each cluster master, then disconnects. */
async function onEachNode<T>(target: RedisTarget, op: (node: Redis) => Promise<T>): Promise<T[]> {
  if ('url' in target) {
    const redis = new Redis(target.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return [await op(redis)];
    } finally {
      redis.disconnect();
    }
  }
  const cluster = new Cluster(target.cluster, {
    lazyConnect: true,
    redisOptions: { maxRetriesPerRequest: 1 },
  });
  cluster.on('error', () => {});
  try {
    await cluster.connect();
    const out: T[] = [];
    for (const master of cluster.nodes('master')) out.push(await op(master));
    return out;
  } finally {
    cluster.disconnect();
  }
}

/** Every key under `prefix` (on a cluster: on all masters), sorted. */
export async function keysUnder(target: RedisTarget, prefix: string): Promise<string[]> {
  return (await onEachNode(target, (n) => scanKeys(n, prefix))).flat().sort();
}

/**
 * Deletes every key under `prefix`; returns how many. Refuses a prefix outside the test family,
 * so a slip can never delete a deployment's keys. One UNLINK per key: on a cluster the keys of
 * one prefix sit in different slots.
 */
export async function dropKeysUnder(target: RedisTarget, prefix: string): Promise<number> {
  if (!prefix.startsWith(PREFIX_FAMILY) || prefix.length <= PREFIX_FAMILY.length)
    throw new Error(`refusing to delete keys under a non-test prefix: ${prefix}`);
  const counts = await onEachNode(target, async (node) => {
    const found = await scanKeys(node, prefix);
    for (const k of found) await node.unlink(k);
    return found.length;
  });
  return counts.reduce((a, b) => a + b, 0);
}

/** A plain client on the target (tests that read or write keys directly); disconnect it after. */
export async function rawClient(target: RedisTarget): Promise<Redis | Cluster> {
  const client =
    'url' in target
      ? new Redis(target.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
      : new Cluster(target.cluster, {
          lazyConnect: true,
          redisOptions: { maxRetriesPerRequest: 1 },
        });
  client.on('error', () => {});
  await client.connect();
  return client;
}
