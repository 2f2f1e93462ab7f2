import { DEFAULTS } from '../../config/defaults.js';
import { Router, type Request } from 'express';
import { secretMatches } from '../../auth/secrets.js';
import { InvalidClient, InvalidRequest } from '../../errors.js';
import type { BatonContext } from '../../context.js';
import { FEED_ID } from '../../protocol/feed.js';
import { type FeedFollowDeps, followFeed } from '../../revocation/feed-follow.js';
import { isAdmin } from '../admin-auth.js';
import type { HttpDeps } from '../deps.js';

/** Resource servers (their secret, via Basic) and admins (Bearer admin key) may follow the feed. */
function mayFollow(ctx: BatonContext, req: Request): boolean {
  const h = req.headers.authorization ?? '';
  if (/^Bearer\s/i.test(h)) return isAdmin(ctx, h);
  if (!/^Basic\s/i.test(h)) return false;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return false;
  let id: string;
  let secret: string;
  try {
    id = decodeURIComponent(decoded.slice(0, i));
    secret = decodeURIComponent(decoded.slice(i + 1));
  } catch {
    return false;
  }
  const client = ctx.clients.get(id);
  const hash =
    client?.kind === 'resource_server' && 'secretHash' in client.auth
      ? client.auth.secretHash
      : undefined;
  return secretMatches(secret, hash) && hash !== undefined;
}

/** `admin` for the admin key, else the resource server's client id (its follower cap). */
function followerId(req: Request): string {
  const h = req.headers.authorization ?? '';
  if (/^Bearer\s/i.test(h)) return 'admin';
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  return decodeURIComponent(decoded.slice(0, decoded.indexOf(':')));
}

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
    if (!mayFollow(ctx, req))
      throw new InvalidClient('resource server (Basic) or admin (Bearer) credentials are required');
    const cursor =
      (req.headers['last-event-id'] as string | undefined) ??
      (typeof req.query.after === 'string' ? req.query.after : undefined);
    if (cursor !== undefined && cursor !== '' && !FEED_ID.test(cursor))
      throw new InvalidRequest('Last-Event-ID / after must be a feed event id');
    await followFeed(follow, { client: followerId(req), cursor: cursor || undefined }, res, () =>
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
