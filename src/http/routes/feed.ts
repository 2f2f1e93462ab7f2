import { DEFAULTS } from '../../config/defaults.js';
import { Router } from 'express';
import { InvalidRequest } from '../../errors.js';
import { FEED_ID, type FeedEntry, feedIdAfter } from '../../protocol/feed.js';
import { authenticateFollower } from '../follower-auth.js';
import type { HttpDeps } from '../deps.js';

const CATCH_UP_BATCH = DEFAULTS.feedCatchUpBatch;

/**
 * GET /revocations — the revocation feed as Server-Sent Events. Each event's `id` is its feed
 * cursor; a client that reconnects with `Last-Event-ID` (or `?after=`) first gets every event
 * after it, then the live stream, with nothing lost in between: the live subscription starts
 * before the catch-up read, and live events at or before the last sent id are dropped.
 */
export function feedRouter(deps: HttpDeps): Router {
  const { ctx } = deps;
  const r = Router();
  r.get('/revocations', async (req, res) => {
    await authenticateFollower(ctx, req);
    const cursor =
      (req.headers['last-event-id'] as string | undefined) ??
      (typeof req.query.after === 'string' ? req.query.after : undefined);
    if (cursor !== undefined && cursor !== '' && !FEED_ID.test(cursor))
      throw new InvalidRequest('Last-Event-ID / after must be a feed event id');
    let last = cursor || undefined;
    const send = (e: FeedEntry) => {
      if (last !== undefined && !feedIdAfter(e.id, last)) return;
      last = e.id;
      res.write(`id: ${e.id}\nevent: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`);
    };
    let caughtUp = false;
    const pending: FeedEntry[] = [];
    // Subscribe before answering: a revocation right after the client sees the 200 is not lost.
    const unfollow = ctx.feed.follow((e) => (caughtUp ? send(e) : pending.push(e)));
    // Fail closed: if this instance loses its own subscription, events may be missed; end the
    // stream so the follower reconnects with its cursor and the catch-up read fills the gap.
    const offState = ctx.feed.onState((up) => {
      if (!up) res.end();
    });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': baton revocation feed\n\n');
    const heartbeat = setInterval(() => res.write(': ping\n\n'), DEFAULTS.feedHeartbeatMs);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      unfollow();
      offState();
    });
    if (last !== undefined) {
      // A cursor older than what the feed keeps: say so, so the follower re-checks what it holds.
      const horizon = await ctx.store.feedHorizon();
      if (horizon && !feedIdAfter(last, horizon))
        res.write(`event: gap\ndata: ${JSON.stringify({ type: 'gap', lost_up_to: horizon })}\n\n`);
      for (;;) {
        const batch = await ctx.store.readFeed(last, CATCH_UP_BATCH);
        batch.forEach(send);
        if (batch.length < CATCH_UP_BATCH) break;
      }
    }
    caughtUp = true;
    pending.forEach(send);
  });
  return r;
}
