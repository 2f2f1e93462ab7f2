import { Cluster, Redis } from 'ioredis';

/**
 * The last check of a run: every key this run wrote under its prefixes (redis.ts, runPrefix) on
 * the shared servers must be gone, since each test deletes its own prefix. Other runs' keys on
 * the same server are not this run's business, so only this run's family is scanned. Jest loads
 * this file without the module mapper, so it cannot import the harness and scans by itself.
 */
export default async function globalTeardown(): Promise<void> {
  const run = process.env.BATON_TEST_RUN;
  if (!run) return;
  const family = `bt:test:${run}:`;
  const left: string[] = [];
  const scan = async (node: Redis): Promise<void> => {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${family}*`, 'COUNT', 1000);
      left.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  };
  const url = process.env.BATON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch {
    return; // no shared server answered: no test could have written to it
  }
  try {
    await scan(redis);
  } finally {
    redis.disconnect();
  }
  const nodes = (process.env.BATON_TEST_REDIS_CLUSTER ?? '').split(',').filter((s) => s.trim());
  if (nodes.length > 0) {
    const cluster = new Cluster(
      nodes.map((n) => ({
        host: n.slice(0, n.lastIndexOf(':')).trim(),
        port: Number(n.slice(n.lastIndexOf(':') + 1)),
      })),
      { lazyConnect: true, redisOptions: { maxRetriesPerRequest: 1 } },
    );
    cluster.on('error', () => {});
    try {
      await cluster.connect();
      for (const master of cluster.nodes('master')) await scan(master);
    } finally {
      cluster.disconnect();
    }
  }
  if (left.length > 0)
    throw new Error(
      `the tests left ${left.length} Redis key(s) under ${family}, e.g. ${left.slice(0, 5).join(', ')}`,
    );
}
