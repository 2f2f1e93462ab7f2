/**
 * The marks' keys on real Redis, standalone and on the 3-node cluster (src/store/redis/marks.ts):
 * what only Redis has — marks written with stamps in the past (as an older Baton left them, or
 * the bench writes them), the index built for a hash that predates it, stamps that keep
 * growing when Redis TIME steps back, the epoch when the keys are lost.
 */
import type { Cluster, Redis } from 'ioredis';
import { REDIS_STORE_DEFAULTS, STORE_LIMITS } from '../../src/config/defaults.js';
import { keys } from '../../src/store/redis/keys.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { allMarks } from '../support/marks.js';
import {
  startRedisCluster,
  type TestRedisCluster,
  testRedisUrl,
  uniquePrefix,
} from '../support/redis.js';
import { dropKeysUnder, type RedisTarget, rawClient } from '../support/redis-keys.js';

const RETENTION = 905;

/** Redis TIME in µs. */
async function redisNow(raw: Redis | Cluster): Promise<number> {
  const [s, us] = (await raw.call('TIME', [])) as [string, string];
  return Number(s) * 1_000_000 + Number(us);
}

function describeRedisMarks(name: string, target: () => RedisTarget): void {
  describe(`${name}: marks keys`, () => {
    let store: RedisStore;
    let raw: Redis | Cluster;
    let k: ReturnType<typeof keys>;
    let prefix: string;
    beforeEach(async () => {
      prefix = uniquePrefix();
      k = keys(prefix);
      const t = target();
      store = await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, ...STORE_LIMITS, ...t, prefix });
      raw = await rawClient(t);
    });
    afterEach(async () => {
      await store.close();
      raw.disconnect();
      await dropKeysUnder(target(), prefix);
    });

    /** A mark `ageSeconds` old by Redis's clock, written straight into the hash (and index). */
    async function writeAged(field: string, ageSeconds: number, indexed: boolean): Promise<number> {
      const stamp = (await redisNow(raw)) - ageSeconds * 1_000_000;
      await raw.hset(k.marks(), field, String(stamp));
      if (indexed) await raw.zadd(k.marksIndex(), stamp, field);
      return stamp;
    }

    test('a mark one second younger than the retention stays; one a second older leaves the hash and the index', async () => {
      await store.putMark('agent', 'fresh');
      const young = await writeAged('u:young', RETENTION - 1, true);
      await writeAged('u:old', RETENTION + 1, true);
      const marks = await allMarks(store, RETENTION);
      expect(marks.users).toEqual(new Map([['young', young]]));
      expect(await raw.hexists(k.marks(), 'u:old')).toBe(0);
      expect(await raw.zscore(k.marksIndex(), 'u:old')).toBeNull();
      expect(await raw.hget(k.marks(), 'u:young')).toBe(String(young));
    });

    test('a hash from before the index is indexed on the first read: live marks kept, expired ones dropped', async () => {
      const young = await writeAged('a:young', 10, false);
      await writeAged('a:old', RETENTION + 60, false);
      const live = await writeAged('all', 5, false);
      const marks = await allMarks(store, RETENTION);
      expect(marks.agents).toEqual(new Map([['young', young]]));
      expect(marks.all).toBe(live);
      expect(await raw.zscore(k.marksIndex(), 'a:young')).toBe(String(young));
      expect(await raw.hexists(k.marks(), 'a:old')).toBe(0);
      expect(await raw.hget(k.marksMeta(), 'indexed')).toBe('1');
      // From then on reads are incremental: a new mark comes after the cursor.
      const first = await store.readMarks(undefined, { limit: 10, maxAgeSeconds: RETENTION });
      const s = await store.putMark('user', 'u');
      const next = await store.readMarks(first.next, { limit: 10, maxAgeSeconds: RETENTION });
      expect(next.marks).toEqual([{ kind: 'user', id: 'u', stamp: s }]);
    });

    test('stamps of new marks keep growing when Redis TIME steps back (a reader never misses one)', async () => {
      const ahead = (await redisNow(raw)) + 10_000_000;
      await raw.hset(k.marksMeta(), 'last', String(ahead));
      const s = await store.putMark('agent', 'a');
      expect(s).toBe(ahead + 1);
      expect(await store.putMark('agent', 'b')).toBe(ahead + 2);
    });

    test('losing the marks keys (a flushed or replaced Redis) changes the epoch', async () => {
      await store.putMark('agent', 'a');
      const before = await store.readMarks(undefined, { limit: 10, maxAgeSeconds: RETENTION });
      await raw.del(k.marks(), k.marksIndex(), k.marksMeta());
      const after = await store.readMarks(before.next, { limit: 10, maxAgeSeconds: RETENTION });
      expect(after.epoch).not.toBe(before.epoch);
    });
  });
}

describeRedisMarks('standalone', () => ({ url: testRedisUrl() }));

describe('on a 3-node cluster', () => {
  let cluster: TestRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  describeRedisMarks('cluster', () => {
    if (!cluster) throw new Error('cluster did not start');
    return { cluster: cluster.nodes };
  });
});
