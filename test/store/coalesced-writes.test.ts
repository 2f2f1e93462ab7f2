/**
 * One socket write per event-loop turn to each Redis connection (src/store/redis/coalesced-writes.ts),
 * on a private redis-server (its read counter is this test's alone) and on the 3-node cluster:
 * what one turn issues leaves in one write and Redis reads it at once, every reply reaches its own
 * caller in order, commands of later turns are not held, and a reconnected socket is coalesced too.
 */
import type { Socket } from 'node:net';
import { type Cluster, Redis } from 'ioredis';
import { clientFactory } from '../../src/store/redis/connect.js';
import {
  startRedisCluster,
  startRedisServer,
  type TestRedisCluster,
  type TestRedisServer,
  uniquePrefix,
} from '../support/redis.js';

/** Counts the writes the socket hands to the kernel (one `_write` or one `_writev` each). */
function countWrites(socket: Socket): { count: () => number } {
  let n = 0;
  const s = socket as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  for (const m of ['_write', '_writev'] as const) {
    const original = s[m];
    if (typeof original !== 'function') continue;
    s[m] = function (this: unknown, ...a: unknown[]) {
      n++;
      return original.apply(this, a);
    };
  }
  return { count: () => n };
}

async function readsProcessed(observer: Redis): Promise<number> {
  const info = await observer.info('stats');
  const m = /total_reads_processed:(\d+)/.exec(info);
  if (!m) throw new Error('INFO stats has no total_reads_processed');
  return Number(m[1]);
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('standalone: commands of one turn leave in one write', () => {
  let server: TestRedisServer;
  let client: Redis;
  let observer: Redis;
  const key = `${uniquePrefix()}n`;
  beforeAll(async () => {
    server = await startRedisServer();
    client = clientFactory({ url: server.url }, 2000)() as Redis;
    await client.connect();
    observer = new Redis(server.url);
  });
  afterAll(async () => {
    client.disconnect();
    observer.disconnect();
    await server.stop();
  });

  test('200 INCRs issued in one turn: one write, read by Redis at once, each caller its own reply', async () => {
    await client.del(key);
    await nextTurn();
    const writes = countWrites(client.stream as Socket);
    const before = await readsProcessed(observer);
    const replies = await Promise.all(Array.from({ length: 200 }, () => client.incr(key)));
    const after = await readsProcessed(observer);
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(writes.count()).toBe(1);
    // The observer's second INFO is one read; the 200 commands (~6 KB) one or two more.
    expect(after - before).toBeLessThanOrEqual(3);
  });

  test('the control: a plain ioredis client writes the same 200 commands one by one', async () => {
    const plain = new Redis(server.url);
    try {
      await plain.ping();
      const writes = countWrites(plain.stream as Socket);
      await Promise.all(Array.from({ length: 200 }, () => plain.incr(key)));
      expect(writes.count()).toBeGreaterThan(50);
    } finally {
      plain.disconnect();
    }
  });

  test('a command of each of 20 consecutive turns is sent in its own turn, none is held', async () => {
    await nextTurn();
    const writes = countWrites(client.stream as Socket);
    const pending: Promise<string>[] = [];
    for (let i = 0; i < 20; i++) {
      pending.push(client.set(`${key}:${i}`, String(i)));
      await nextTurn();
    }
    expect(await Promise.all(pending)).toEqual(Array(20).fill('OK'));
    expect(writes.count()).toBe(20);
  });

  test('after the connection is killed, the new socket is coalesced too', async () => {
    const old = client.stream;
    const ready = new Promise((r) => client.once('ready', r));
    const id = await client.client('ID');
    await observer.client('KILL', 'ID', String(id));
    await ready;
    expect(client.stream).not.toBe(old);
    await nextTurn();
    const writes = countWrites(client.stream as Socket);
    const replies = await Promise.all(Array.from({ length: 50 }, () => client.ping()));
    expect(replies).toEqual(Array(50).fill('PONG'));
    expect(writes.count()).toBe(1);
  });
});

describe('cluster: each node gets one write per turn', () => {
  let cluster: TestRedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = clientFactory({ cluster: cluster.nodes }, 2000)() as Cluster;
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    client.disconnect();
    await cluster.stop();
  });

  test('100 commands to one slot in one turn: one write to the node that owns it', async () => {
    const tag = `{${uniquePrefix()}c}`;
    await client.set(`${tag}:warm`, '1');
    await Promise.all(client.nodes('master').map((n) => n.ping()));
    await nextTurn();
    const counters = client.nodes('master').map((n) => countWrites(n.stream as Socket));
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => client.set(`${tag}:${i}`, String(i))),
    );
    expect(replies).toEqual(Array(100).fill('OK'));
    expect(counters.map((c) => c.count()).sort()).toEqual([0, 0, 1]);
  });
});
