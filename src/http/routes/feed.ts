import { DEFAULTS } from '../../config/defaults.js';
import { Router } from 'express';
import { InvalidRequest } from '../../errors.js';
import { FEED_ID } from '../../protocol/feed.js';
import { type FeedFollowDeps, followFeed } from '../../revocation/feed-follow.js';
import type { HttpDeps } from '../deps.js';
import { authenticateFollower } from '../follower-auth.js';

/**
 * GET /revocations — the revocation feed as Server-Sent Events (src/revocation/feed-follow.ts).
 * The route authenticates, parses the cursor (`Last-Event-ID` or `?after=`) and streams.
 */
export function feedRouter(deps: HttpDeps): Router {
  const { ctx } = deps;
  // The narrow deps of following: the feed store and the hub; the route makes no store call.
  const { store, feed } = ctx;
  const follow: FeedFollowDeps = {
    store,
    feed,
    catchUpBatch: DEFAULTS.feedCatchUpBatch,
    heartbeatMs: DEFAULTS.feedHeartbeatMs,
    readBudgetMs: ctx.config.store.requestTimeoutMs,
  };
  const r = Router();
  r.get('/revocations', async (req, res) => {
    const who = await authenticateFollower(ctx, req);
    const cursor =
      (req.headers['last-event-id'] as string | undefined) ??
      (typeof req.query.after === 'string' ? req.query.after : undefined);
    if (cursor !== undefined && cursor !== '' && !FEED_ID.test(cursor))
      throw new InvalidRequest('Last-Event-ID / after must be a feed event id');
    await followFeed(
      follow,
      { client: who === 'admin' ? 'admin' : who.id, cursor: cursor || undefined },
      res,
      () =>
        res.writeHead(200, {
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        }),
    );
  });
  return r;
}
