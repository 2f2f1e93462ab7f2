/**
 * Repeated revocations cannot flood the feed, and a revocation whose publish failed is notified
 * by repeating it (docs/revocation.md, "The revocation feed"): on the memory store and on Redis,
 * over real HTTP. A publish is made to fail by a store whose `publish` throws StoreUnavailable
 * once, as a Redis that stops answering between the state write and the feed append would.
 */
import { REDIS_STORE_DEFAULTS, STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { StoreUnavailable, type FeedEvent, type TokenStore } from '../../src/store/store.js';
import {
  claimsOf,
  completeTaskAs,
  makeUpstream,
  revokeAs,
  startBaton,
  testConfig,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { adminRequest, dropPrefix, rootLevel } from '../support/revocation-flows.js';
import { allMarks } from '../support/marks.js';

/** The store, with its next `publish` made to fail. */
function withFailingPublish(store: TokenStore): { store: TokenStore; failNextPublish(): void } {
  let fail = false;
  // A request's view of the store (within) is wrapped the same way: the routes publish through it.
  const wrap = (s: TokenStore): TokenStore =>
    new Proxy(s, {
      get(target, prop) {
        if (prop === 'publish')
          return async (event: FeedEvent) => {
            if (fail) {
              fail = false;
              throw new StoreUnavailable(new Error('publish failed (test)'));
            }
            return target.publish(event);
          };
        if (prop === 'within')
          return (budget: Parameters<TokenStore['within']>[0]) => wrap(target.within(budget));
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  const proxy = wrap(store);
  return { store: proxy, failNextPublish: () => (fail = true) };
}

const stores: [string, () => Promise<{ store: TokenStore; cleanup(): Promise<void> }>][] = [
  [
    'memory',
    async () => {
      const store = new MemoryStore(STORE_LIMITS);
      return { store, cleanup: () => store.close() };
    },
  ],
  [
    'redis',
    async () => {
      const url = testRedisUrl();
      const prefix = uniquePrefix();
      const store = await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, url, prefix });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await dropPrefix(url, prefix);
        },
      };
    },
  ],
];

describe.each(stores)('repeated revocations (%s store)', (_name, open) => {
  let upstream: Upstream;
  let b: RunningBaton;
  let real: TokenStore;
  let failNextPublish: () => void;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    upstream = await makeUpstream();
    const s = await open();
    real = s.store;
    cleanup = s.cleanup;
    const flaky = withFailingPublish(real);
    failNextPublish = flaky.failNextPublish;
    b = await startBaton(testConfig(upstream), { store: flaky.store });
  });
  afterEach(async () => {
    await b.close();
    await cleanup();
  });

  const feedEvents = async (match: (e: FeedEvent) => boolean): Promise<FeedEvent[]> =>
    (await real.readFeed(undefined, 10_000)).map((e) => e.event).filter(match);
  const tokenEvents = (jti: string) => feedEvents((e) => e.type === 'token' && e.jti === jti);
  const taskEvents = (txn: string) => feedEvents((e) => e.type === 'task' && e.txn === txn);

  test('revoking an already revoked token again publishes nothing', async () => {
    const l = await rootLevel(b.url, upstream);
    for (let i = 0; i < 20; i++) expect(await revokeAs(b.url, 'support-agent', l.tool)).toBe(200);
    expect(await tokenEvents(claimsOf(l.tool).jti)).toHaveLength(1);
  });

  test('completing a task again publishes nothing', async () => {
    const l = await rootLevel(b.url, upstream);
    const txn = claimsOf(l.task).txn;
    for (let i = 0; i < 5; i++)
      expect((await completeTaskAs(b.url, 'support-agent', txn)).status).toBe(200);
    expect(await taskEvents(txn)).toHaveLength(1);
  });

  test('a token revocation whose publish failed is published by the repeat, once', async () => {
    const l = await rootLevel(b.url, upstream);
    const jti = claimsOf(l.tool).jti;
    failNextPublish();
    expect(await revokeAs(b.url, 'support-agent', l.tool)).toBe(503);
    expect(await tokenEvents(jti)).toHaveLength(0);
    expect(await revokeAs(b.url, 'support-agent', l.tool)).toBe(200);
    expect(await tokenEvents(jti)).toHaveLength(1);
    expect(await revokeAs(b.url, 'support-agent', l.tool)).toBe(200);
    expect(await tokenEvents(jti)).toHaveLength(1);
  });

  test('a task completion whose publish failed is published by the repeat, once', async () => {
    const l = await rootLevel(b.url, upstream);
    const txn = claimsOf(l.task).txn;
    failNextPublish();
    expect((await completeTaskAs(b.url, 'support-agent', txn)).status).toBe(503);
    expect(await taskEvents(txn)).toHaveLength(0);
    expect((await completeTaskAs(b.url, 'support-agent', txn)).status).toBe(200);
    expect(await taskEvents(txn)).toEqual([expect.objectContaining({ reason: 'completed' })]);
    expect((await completeTaskAs(b.url, 'support-agent', txn)).status).toBe(200);
    expect(await taskEvents(txn)).toHaveLength(1);
  });

  test('an agent revocation whose publish failed is published by the repeat', async () => {
    const path = '/admin/agents/billing-agent/revoke';
    const agentEvents = () => feedEvents((e) => e.type === 'agent' && e.id === 'billing-agent');
    failNextPublish();
    expect((await adminRequest(b.url, 'POST', path)).status).toBe(503);
    expect(await agentEvents()).toHaveLength(0);
    expect((await adminRequest(b.url, 'POST', path)).status).toBe(200);
    const [event] = await agentEvents();
    expect(event).toMatchObject({ type: 'agent', id: 'billing-agent' });
    // The mark the event carries is the one in force.
    expect((await allMarks(real)).agents.get('billing-agent')).toBe(
      (event as { before: number }).before,
    );
  });
});
