/**
 * Proves the Redis test helpers work: a private standalone server starts, answers and
 * goes away; the (shared or private) cluster is healthy and routes keys across slots.
 */
import { Cluster, Redis } from 'ioredis';
import {
  parseNodeList,
  runPrefix,
  startRedisCluster,
  startRedisServer,
  testClusterNodes,
  uniquePrefix,
  type TestRedisCluster,
} from './redis.js';

describe('test/support/redis helpers', () => {
  it('parses node lists and rejects malformed ones', () => {
    expect(parseNodeList('127.0.0.1:7100, 127.0.0.1:7101,')).toEqual([
      { host: '127.0.0.1', port: 7100 },
      { host: '127.0.0.1', port: 7101 },
    ]);
    expect(() => parseNodeList('127.0.0.1')).toThrow(/host:port/);
    expect(() => parseNodeList('127.0.0.1:0')).toThrow(/host:port/);
    expect(() => parseNodeList(' , ')).toThrow(/no Redis nodes/);
    const saved = process.env.BATON_TEST_REDIS_CLUSTER;
    try {
      delete process.env.BATON_TEST_REDIS_CLUSTER;
      expect(testClusterNodes()).toBeUndefined();
    } finally {
      if (saved !== undefined) process.env.BATON_TEST_REDIS_CLUSTER = saved;
    }
  });

  it('uniquePrefix() is namespaced under this run and unique', () => {
    const a = uniquePrefix();
    const b = uniquePrefix();
    expect(a).toMatch(/^bt:test:[0-9a-f]+:[0-9a-f]+:$/);
    expect(a.startsWith(runPrefix())).toBe(true);
    expect(a).not.toBe(b);
  });

  it('startRedisServer() starts a private server that answers and then stops', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url, { maxRetriesPerRequest: 0, lazyConnect: true });
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      const key = `${uniquePrefix()}k`;
      await client.set(key, 'v');
      expect(await client.get(key)).toBe('v');
      // Private means private: a fresh server holds only what we just wrote.
      expect(await client.dbsize()).toBe(1);
    } finally {
      client.disconnect();
      await server.stop();
    }
    // After stop() nothing listens on the port any more.
    const probe = new Redis(server.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  });

  describe('cluster', () => {
    let cluster: TestRedisCluster;
    let client: Cluster;

    beforeAll(async () => {
      cluster = await startRedisCluster();
      client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    }, 90_000);

    afterAll(async () => {
      await client?.quit();
      await cluster?.stop();
    }, 60_000);

    it('has three nodes and reports cluster_state:ok', async () => {
      expect(cluster.nodes).toHaveLength(3);
      const info = await client.cluster('INFO');
      expect(String(info)).toMatch(/^cluster_state:ok\r?$/m);
    });

    it('SET/GET works on keys spread over every master', async () => {
      // slot -> master port, from CLUSTER SLOTS: [[start, end, [host, port, id], ...], ...]
      const slots = await client.cluster('SLOTS');
      const ownerOf = (slot: number): number => {
        const range = slots.find(([start, end]) => slot >= start && slot <= end);
        const master = range?.[2];
        if (!master) throw new Error(`slot ${slot} unassigned`);
        return master[1];
      };

      // Pick keys until every master owns at least one of them.
      const prefix = uniquePrefix();
      const byOwner = new Map<number, string>();
      for (let i = 0; byOwner.size < 3 && i < 200; i++) {
        const key = `${prefix}${i}`;
        const slot = Number(await client.cluster('KEYSLOT', key));
        if (!byOwner.has(ownerOf(slot))) byOwner.set(ownerOf(slot), key);
      }
      expect(byOwner.size).toBe(3);

      const keys = [...byOwner.values()];
      for (const key of keys) await client.set(key, `value-of-${key}`, 'EX', 60);
      for (const key of keys) expect(await client.get(key)).toBe(`value-of-${key}`);
      await Promise.all(keys.map((k) => client.del(k)));
    });
  });
});
