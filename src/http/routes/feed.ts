import { DEFAULTS } from '../../config/defaults.js';
import { Router, type Request, type Response } from 'express';
import { InvalidRequest } from '../../errors.js';
import { FEED_ID } from '../../protocol/feed.js';
import { type FeedFollowDeps, followFeed } from '../../revocation/feed-follow.js';
import { type HttpDeps, requestCtx } from '../deps.js';
import { authenticateFollower } from '../follower-auth.js';

/**
 * GET or POST /revocations — the revocation feed as Server-Sent Events
 * (src/revocation/feed-follow.ts). POST carries the credentials in its form (private_key_jwt,
 * client_secret_post). The route authenticates, parses the cursor (`Last-Event-ID`, `?after=`,
 * or `after` in a POST form) and streams.
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
  const stream = async (req: Request, res: Response) => {
    // The client assertion's single-use record is this request's store work (its budget).
    const who = await authenticateFollower(requestCtx(ctx, res), req);
    const bodyAfter =
      req.method === 'POST' ? (req.body as Record<string, unknown> | undefined)?.after : undefined;
    const cursor =
      (req.headers['last-event-id'] as string | undefined) ??
      (typeof req.query.after === 'string' ? req.query.after : undefined) ??
      (typeof bodyAfter === 'string' ? bodyAfter : undefined);
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
  };
  r.get('/revocations', stream);
  // The same stream, opened by a POST whose form carries the credentials (private_key_jwt).
  r.post('/revocations', stream);
  return r;
}
