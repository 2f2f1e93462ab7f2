/**
 * The shared tier of the rate limits on Redis: one budget across Baton instances (standalone and
 * Cluster), taken in leases so introspection does not double its Redis work, and a hung Redis
 * never holds a request (the in-process bucket decides alone).
 */
import { Redis } from 'ioredis';
import { REDIS_STORE_DEFAULTS } from '../../src/config/defaults.js';
import { BudgetLimiter } from '../../src/limits/budget-limiter.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  makeUpstream,
  type RunningBaton,
  startBaton,
  startTaskToken,
  testConfig,
  type Upstream,
} from '../support/fixtures.js';
import {
  startRedisCluster,
  startRedisServer,
  testRedisUrl,
  uniquePrefix,
  type TestRedisCluster,
  type TestRedisServer,
} from '../support/redis.js';
import { dropPrefix, dropPrefixCluster, toolToken } from '../support/revocation-flows.js';
import { auth, cheapToken, send } from './requests.js';

type Raw = Record<string, unknown>;
let upstream: Upstream;
const running: RunningBaton[] = [];

beforeAll(async () => {
  upstream = await makeUpstream();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.close()));
});

async function batons(n: number, store: Raw, rateLimits: Raw): Promise<string[]> {
  const config = testConfig(upstream, (raw) => {
    raw.store = store;
    raw.rateLimits = rateLimits;
  });
  const started = await Promise.all(Array.from({ length: n }, () => startBaton(config)));
  running.push(...started);
  return started.map((b) => b.url);
}

/** Six requests to A, then six to B, of one agent with a budget of 10: B is refused past 10. */
async function expectOneBudget(store: Raw): Promise<void> {
  const [a, b] = await batons(2, store, { agent: { requests: 10, windowSeconds: 60 } });
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await cheapToken(a!, 'support-agent')).status);
  for (let i = 0; i < 6; i++) statuses.push((await cheapToken(b!, 'support-agent')).status);
  expect(statuses.filter((s) => s === 400)).toHaveLength(10);
  expect(statuses.slice(0, 6).every((s) => s === 400)).toBe(true);
  expect(statuses.slice(-2)).toEqual([429, 429]);
}

test('two instances on one Redis share one budget per client', async () => {
  const prefix = uniquePrefix();
  try {
    await expectOneBudget({ kind: 'redis', url: testRedisUrl(), prefix });
  } finally {
    await dropPrefix(testRedisUrl(), prefix);
  }
});

describe('on a Redis Cluster', () => {
  let cluster: TestRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  test('two instances share one budget; each client key sits on its own slot', async () => {
    const prefix = uniquePrefix();
    try {
      await expectOneBudget({ kind: 'redis', cluster: cluster!.nodes, prefix });
    } finally {
      await dropPrefixCluster(cluster!.nodes, prefix);
    }
  });
});

describe('on a Redis of its own', () => {
  let redis: TestRedisServer;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  }, 30_000);
  afterAll(async () => {
    admin.disconnect();
    await redis.stop();
  });

  const commands = async () =>
    Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))![1]);

  /** Commands Redis ran for `n` introspections of a live tool token. */
  async function introspectionCommands(rateLimits: Raw, n: number): Promise<number> {
    const [url] = await batons(
      1,
      { kind: 'redis', url: redis.url, prefix: uniquePrefix() },
      rateLimits,
    );
    const tool = await toolToken(url!, 'support-agent', await startTaskToken(url!, upstream));
    const before = await commands();
    for (let i = 0; i < n; i++) {
      const r = await send(url!, '/introspect', {
        headers: auth('tickets-rs'),
        form: { token: tool },
      });
      expect(r.body.active).toBe(true);
    }
    const used = (await commands()) - before;
    await Promise.all(running.splice(0).map((b) => b.close()));
    return used;
  }

  test('introspection under the limits costs Redis about one take per lease, not one per request', async () => {
    const n = 200;
    const without = await introspectionCommands({ enabled: false }, n);
    const withLimits = await introspectionCommands({ lease: 50 }, n);
    // Leases of 50: ~4 takes for 200 requests (each take is one script of ~4 commands); a take
    // per request would add ~80% to what introspection itself costs.
    expect(withLimits).toBeLessThan(without * 1.1);
  });

  test('a client over its budget is refused in process, without asking Redis', async () => {
    const store = { kind: 'redis', url: redis.url, prefix: uniquePrefix() };
    const [url] = await batons(1, store, { agent: { requests: 3, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) expect((await cheapToken(url!, 'support-agent')).status).toBe(400);
    const before = await commands();
    for (let i = 0; i < 20; i++) expect((await cheapToken(url!, 'support-agent')).status).toBe(429);
    // A few commands of the instance's own (marks refresh, the INFO calls): not one per refusal.
    expect((await commands()) - before).toBeLessThan(10);
  });

  test('a hung Redis (SIGSTOP) never holds a request: the in-process bucket decides alone', async () => {
    const store = await RedisStore.connect({
      ...REDIS_STORE_DEFAULTS,
      url: redis.url,
      prefix: uniquePrefix(),
    });
    const limiter = new BudgetLimiter({
      shared: store,
      lease: 50,
      storeTimeoutMs: 100,
      storeBackoffMs: 1_000,
    });
    const budget = { requests: 3, windowSeconds: 60 };
    const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
    process.kill(pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const verdicts = [];
      for (let i = 0; i < 4; i++) verdicts.push(await limiter.take('c:agent', budget));
      expect(Date.now() - started).toBeLessThan(600);
      expect(verdicts.slice(0, 3)).toEqual([undefined, undefined, undefined]);
      expect(verdicts[3]).toBeGreaterThan(0);
    } finally {
      process.kill(pid, 'SIGCONT');
      await store.close();
    }
  });
});
