/**
 * The revocation feed cannot be fooled, flooded or used to exhaust memory (docs/revocation.md,
 * "The revocation feed"): cursors that are no position of the feed get one `reset`, ids survive
 * a restart, followers are capped (429), and followers that never read are bounded and dropped.
 * Real HTTP on loopback; raw sockets for the followers that never read.
 */
import { connect, type Socket } from 'node:net';
import { STORE_LIMITS, REDIS_STORE_DEFAULTS } from '../../src/config/defaults.js';
import { compareFeedIds } from '../../src/protocol/feed.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { FeedEvent } from '../../src/store/store.js';
import {
  ADMIN_KEY,
  SECRETS,
  basic,
  makeUpstream,
  startBaton,
  testConfig,
} from '../support/fixtures.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { dropPrefix, eventually, FeedReader, sleep } from '../support/revocation-flows.js';

const RS = { authorization: basic('tickets-rs', SECRETS['tickets-rs']) };
const tokenEvent = (jti: string): FeedEvent => ({ type: 'token', txn: 't-1', jti, stamp: 1 });

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no metric ${name}`);
  return Number(line.split(' ')[1]);
}

describe('cursors that are no position of the feed', () => {
  test.each([
    [
      'past the newest id',
      (newest: string) => `${BigInt(newest.split('-')[0]!) + 1n}-0`,
      'cursor_ahead',
    ],
    ['99999999 (no id of this feed)', () => '99999999', 'cursor_unknown'],
  ])(
    'a cursor %s gets one reset event (resume_after = newest), then later events',
    async (_what, cursorOf, reason) => {
      const store = new MemoryStore(STORE_LIMITS);
      const b = await startBaton(testConfig(await makeUpstream()), { store });
      try {
        await store.publish(tokenEvent('j0'));
        const newest = await store.publish(tokenEvent('j1'));
        const feed = await FeedReader.open(`${b.url}/revocations`, {
          ...RS,
          'last-event-id': cursorOf(newest),
        });
        try {
          expect(feed.status).toBe(200);
          const reset = await feed.next();
          expect(reset?.event).toBe('reset');
          expect(JSON.parse(reset!.data)).toEqual({
            type: 'reset',
            reason,
            resume_after: newest,
          });
          await store.publish(tokenEvent('j2'));
          const later = await feed.next();
          expect(later?.event).toBe('token');
          expect(JSON.parse(later!.data).jti).toBe('j2');
        } finally {
          feed.close();
        }
      } finally {
        await b.close();
        await store.close();
      }
    },
  );

  test('memory feed ids of a restarted store order after the old ones, and an old cursor gets a reset (cursor_unknown)', async () => {
    const before = new MemoryStore(STORE_LIMITS);
    const saved = await before.publish(tokenEvent('old'));
    await before.close();
    await sleep(5);
    const store = new MemoryStore(STORE_LIMITS);
    const b = await startBaton(testConfig(await makeUpstream()), { store });
    try {
      const fresh = await store.publish(tokenEvent('new'));
      expect(fresh).not.toBe(saved);
      expect(compareFeedIds(fresh, saved)).toBe(1);
      const feed = await FeedReader.open(`${b.url}/revocations?after=${saved}`, RS);
      try {
        const reset = await feed.next();
        expect(reset?.event).toBe('reset');
        expect(JSON.parse(reset!.data)).toEqual({
          type: 'reset',
          reason: 'cursor_unknown',
          resume_after: fresh,
        });
        expect(await feed.next(300)).toBeUndefined();
      } finally {
        feed.close();
      }
    } finally {
      await b.close();
      await store.close();
    }
  });

  test('on Redis a 20-digit cursor gets a reset and the stream stays open for later events', async () => {
    const url = testRedisUrl();
    const prefix = uniquePrefix();
    const store = await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, url, prefix });
    const b = await startBaton(testConfig(await makeUpstream()), { store });
    try {
      const newest = await store.publish(tokenEvent('j0'));
      const feed = await FeedReader.open(`${b.url}/revocations`, {
        ...RS,
        'last-event-id': '99999999999999999999',
      });
      try {
        const reset = await feed.next();
        expect(JSON.parse(reset!.data)).toEqual({
          type: 'reset',
          reason: 'cursor_ahead',
          resume_after: newest,
        });
        await store.publish(tokenEvent('j1'));
        expect(JSON.parse((await feed.next())!.data).jti).toBe('j1');
        expect(feed.isEnded).toBe(false);
      } finally {
        feed.close();
      }
    } finally {
      await b.close();
      await store.close();
      await dropPrefix(url, prefix);
    }
  });
});

describe('follower caps', () => {
  test('the feed block defaults to the documented caps, and refuses a follower buffer under 16 KiB', async () => {
    const upstream = await makeUpstream();
    expect(testConfig(upstream).feed).toEqual({
      followersMax: 1000,
      followersPerClient: 250,
      followerMaxBufferedBytes: 128 * 1024,
      followerMaxLagMs: 30_000,
      followerRetryAfterSeconds: 5,
    });
    expect(() =>
      testConfig(upstream, (raw) => {
        raw.feed = { followerMaxBufferedBytes: 1024 };
      }),
    ).toThrow(/followerMaxBufferedBytes/);
  });

  test('followers past the per-client or the total cap are refused 429 temporarily_unavailable with Retry-After; a closed one frees its place', async () => {
    const b = await startBaton(
      testConfig(await makeUpstream(), (raw) => {
        raw.feed = { followersPerClient: 2, followersMax: 3, followerRetryAfterSeconds: 7 };
      }),
    );
    const open: FeedReader[] = [];
    try {
      for (let i = 0; i < 2; i++) open.push(await FeedReader.open(`${b.url}/revocations`, RS));
      await Promise.all(open.map((f) => f.opened));
      const refused = await fetch(`${b.url}/revocations`, { headers: RS });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('7');
      expect(await refused.json()).toMatchObject({ error: 'temporarily_unavailable' });

      const billing = { authorization: basic('billing-rs', SECRETS['billing-rs']) };
      open.push(await FeedReader.open(`${b.url}/revocations`, billing));
      expect(open[2]!.status).toBe(200);
      const admin = await fetch(`${b.url}/revocations`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(admin.status).toBe(429);
      await admin.body?.cancel();

      open.shift()!.close();
      expect(
        await eventually(async () => (await metric(b.url, 'baton_feed_followers')) === 2),
      ).toBe(true);
      const again = await FeedReader.open(`${b.url}/revocations`, RS);
      open.push(again);
      expect(again.status).toBe(200);
    } finally {
      for (const f of open) f.close();
      await b.close();
    }
  });
});

describe('followers that never read', () => {
  const maxBuffered = 64 * 1024;
  /** A Baton on a memory store whose followers hold at most 64 KiB, and wait `maxLagMs`. */
  async function batonWithFeed(maxLagMs: number) {
    const store = new MemoryStore({ ...STORE_LIMITS, feedMaxLength: 40_000 });
    const b = await startBaton(
      testConfig(await makeUpstream(), (raw) => {
        raw.feed = { followerMaxBufferedBytes: maxBuffered, followerMaxLagMs: maxLagMs };
      }),
      { store },
    );
    return { store, b };
  }

  test('are held to their byte bound while connected and dropped past the lag bound, so memory stays bounded', async () => {
    const { store, b } = await batonWithFeed(8000);
    const sockets: Socket[] = [];
    const followers = 12;
    try {
      // ~250 bytes an event: ~8 MB of catch-up for each follower.
      const pad = 'x'.repeat(150);
      for (let i = 0; i < 32_000; i++) await store.publish(tokenEvent(`${pad}-${i}`));
      const port = Number(new URL(b.url).port);
      global.gc?.();
      const mem = () => {
        const m = process.memoryUsage();
        return m.heapUsed + m.external + m.arrayBuffers;
      };
      const start = mem();
      let peak = 0;
      for (let i = 0; i < followers; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.write(
          `GET /revocations?after=0 HTTP/1.1\r\nHost: baton.test\r\nAuthorization: ${RS.authorization}\r\n\r\n`,
        );
        s.pause(); // never reads: the kernel buffers fill, then Baton's would
        sockets.push(s);
      }
      // Every follower is admitted; on a busy machine the first may already be past the lag
      // bound (and dropped, and counted) before the last is in.
      const dropped = () => metric(b.url, 'baton_feed_followers_dropped_total{reason="lag"}');
      expect(
        await eventually(
          async () =>
            (await metric(b.url, 'baton_feed_followers')) + (await dropped()) === followers,
          30_000,
        ),
      ).toBe(true);
      for (let i = 0; i < 10; i++) {
        await sleep(100);
        peak = Math.max(peak, mem() - start);
        expect(await metric(b.url, 'baton_feed_buffered_bytes')).toBeLessThanOrEqual(
          followers * (maxBuffered + 1024),
        );
      }
      // Unbounded, 12 followers held ~500 MB (strings and buffers of the whole catch-up each).
      // The heap also holds garbage the collector has not reached yet (without --expose-gc it
      // cannot be forced), so the bound is generous; the exact bound is the metric above.
      expect(peak).toBeLessThan(200 * 1024 * 1024);
      // Past the lag bound they are dropped, and with them what they held; each drop is counted.
      expect(
        await eventually(async () => (await metric(b.url, 'baton_feed_followers')) === 0, 40_000),
      ).toBe(true);
      expect(await dropped()).toBe(followers);
      expect(await metric(b.url, 'baton_feed_followers_dropped_total{reason="bytes"}')).toBe(0);
      expect(await metric(b.url, 'baton_feed_buffered_bytes')).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      await b.close();
      await store.close();
    }
    // Generous: twelve 8 MB catch-ups are slow on a machine busy with other suites (the bounds
    // checked are bytes, never time).
  }, 120_000);

  test('a stalled follower that live events would push past its byte bound is dropped at once, and counted', async () => {
    // The lag bound is far away: only the byte bound can drop it within this test.
    const { store, b } = await batonWithFeed(600_000);
    const port = Number(new URL(b.url).port);
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    try {
      s.write(
        `GET /revocations HTTP/1.1\r\nHost: baton.test\r\nAuthorization: ${RS.authorization}\r\n\r\n`,
      );
      s.pause();
      expect(
        await eventually(async () => (await metric(b.url, 'baton_feed_followers')) === 1, 10_000),
      ).toBe(true);
      // Live events until the kernel's buffers are full and Baton's queue passes the bound.
      const pad = 'y'.repeat(1000);
      let i = 0;
      const gone = async () => (await metric(b.url, 'baton_feed_followers')) === 0;
      while (i < 40_000 && !(await gone())) {
        for (let k = 0; k < 500; k++) await store.publish(tokenEvent(`${pad}-${i++}`));
      }
      expect(await gone()).toBe(true);
      expect(await metric(b.url, 'baton_feed_followers_dropped_total{reason="bytes"}')).toBe(1);
      expect(await metric(b.url, 'baton_feed_followers_dropped_total{reason="lag"}')).toBe(0);
      expect(await metric(b.url, 'baton_feed_buffered_bytes')).toBe(0);
    } finally {
      s.destroy();
      await b.close();
      await store.close();
    }
  }, 60_000);
});
