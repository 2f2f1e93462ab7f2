import { REDIS_STORE_DEFAULTS, STORE_LIMITS } from '../../src/config/defaults.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { StoreUnavailable } from '../../src/store/store.js';
import {
  ISSUER,
  TICKETS,
  exchange,
  introspectAs,
  makeUpstream,
  startBaton,
  startTaskToken,
  testConfig,
  type Upstream,
} from '../support/fixtures.js';
import { startRedisServer, uniquePrefix } from '../support/redis.js';

/** Invariants 5 and 7: nothing untracked escapes, and what Baton cannot vouch for is not active. */
describe('fail closed', () => {
  let up: Upstream;
  beforeAll(async () => {
    up = await makeUpstream();
  });

  test('a real Redis going away: exchange answers 503 temporarily_unavailable with no token; introspection says inactive', async () => {
    const redis = await startRedisServer();
    const store = await RedisStore.connect({
      ...REDIS_STORE_DEFAULTS,
      url: redis.url,
      prefix: uniquePrefix(),
      commandTimeoutMs: 500,
    });
    const b = await startBaton(testConfig(up), { store });
    try {
      const task = await startTaskToken(b.url, up);
      const tool = (
        await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })
      ).body.access_token as string;
      expect(await introspectAs(b.url, 'tickets-rs', tool)).toMatchObject({ active: true });
      await redis.stop();
      const r = await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS });
      expect(r.status).toBe(503);
      expect(r.body.error).toBe('temporarily_unavailable');
      expect(r.body.access_token).toBeUndefined();
      const start = await exchange(b.url, 'support-agent', {
        subject_token: await up.userToken(),
        audience: ISSUER,
      });
      expect(start.status).toBe(503);
      expect(await introspectAs(b.url, 'tickets-rs', tool)).toEqual({ active: false });
      expect((await fetch(`${b.url}/readyz`)).status).toBe(503);
    } finally {
      await b.close();
      await store.close();
      await redis.stop();
    }
  });

  test('a failed record write returns no token (invariant 5), and nothing is recorded', async () => {
    const store = new MemoryStore(STORE_LIMITS);
    const b = await startBaton(testConfig(up), { store });
    try {
      const task = await startTaskToken(b.url, up);
      const real = store.recordToken.bind(store);
      store.recordToken = async () => {
        throw new StoreUnavailable(new Error('disk on fire'));
      };
      const r = await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS });
      expect(r.status).toBe(503);
      expect(r.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: expect.stringContaining('no token was issued'),
      });
      store.recordToken = real;
      const txn = JSON.parse(Buffer.from(task.split('.')[1]!, 'base64url').toString())
        .txn as string;
      expect((await store.getTaskTree(txn))!.tokens).toHaveLength(1);
    } finally {
      await b.close();
      await store.close();
    }
  });

  test('stale revocation marks (feed lost beyond the bound): exchanges 503, introspection inactive, readyz 503', async () => {
    const store = new MemoryStore(STORE_LIMITS);
    const b = await startBaton(testConfig(up), { store });
    try {
      const task = await startTaskToken(b.url, up);
      const tool = (
        await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })
      ).body.access_token as string;
      // Simulate the feed and the refresh failing for longer than the staleness bound.
      const marks = b.baton.ctx.marks;
      const realFresh = marks.isFresh.bind(marks);
      const later = () => Date.now() + 60_000;
      marks.isFresh = (now = later()) => realFresh(now);
      const realVerdict = marks.verdict.bind(marks);
      marks.verdict = (t, now = later()) => realVerdict(t, now);
      expect(
        (await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })).status,
      ).toBe(503);
      expect(await introspectAs(b.url, 'tickets-rs', tool)).toEqual({ active: false });
      expect((await fetch(`${b.url}/readyz`)).status).toBe(503);
    } finally {
      await b.close();
      await store.close();
    }
  });
});
