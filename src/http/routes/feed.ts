import { DEFAULTS } from '../../config/defaults.js';
import { Router, type Request } from 'express';
import { secretMatches } from '../../auth/secrets.js';
import { InvalidClient, InvalidRequest } from '../../errors.js';
import type { BatonContext } from '../../context.js';
import { FEED_ID, type FeedEntry, feedIdAfter } from '../../protocol/feed.js';
import { withStoreBudget } from '../../store/deadline.js';
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
    if (!mayFollow(ctx, req))
      throw new InvalidClient('resource server (Basic) or admin (Bearer) credentials are required');
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
    // Each catch-up read has a store budget of its own: a long catch-up is many short reads.
    const budget = <T>(op: () => Promise<T>) =>
      withStoreBudget(ctx.config.store.requestTimeoutMs, op);
    let horizon: string | undefined;
    try {
      // Read the store before the 200, so a store that is down answers 503, never a dead stream.
      horizon = await budget(() => ctx.store.feedHorizon());
    } catch (e) {
      unfollow();
      throw e;
    }
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
      if (horizon && !feedIdAfter(last, horizon))
        res.write(`event: gap\ndata: ${JSON.stringify({ type: 'gap', lost_up_to: horizon })}\n\n`);
      try {
        for (;;) {
          const after = last;
          const batch = await budget(() => ctx.store.readFeed(after, CATCH_UP_BATCH));
          batch.forEach(send);
          if (batch.length < CATCH_UP_BATCH) break;
        }
      } catch (e) {
        // The 200 is sent: end the stream, and the follower resumes from its last event id.
        deps.log.warn({ route: '/revocations', err: (e as Error).message }, 'catch-up failed');
        res.end();
        return;
      }
    }
    caughtUp = true;
    pending.forEach(send);
  });
  return r;
}
