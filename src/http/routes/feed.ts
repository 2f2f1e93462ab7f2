import { DEFAULTS } from '../../config/defaults.js';
import { Router, type Request, type Response } from 'express';
import { authenticateClient } from '../../auth/client-auth.js';
import { InvalidClient, InvalidRequest } from '../../errors.js';
import type { BatonContext } from '../../context.js';
import { FEED_ID, type FeedEntry, feedIdAfter } from '../../protocol/feed.js';
import { isAdmin } from '../admin-auth.js';
import { clientAuthDeps, type HttpDeps } from '../deps.js';

/**
 * Who may follow the feed: an admin (Bearer admin key), or a resource server authenticated by the
 * shared client authentication (src/auth/client-auth.ts) in its configured method: Basic on GET
 * or POST, and on POST also client_secret_post or private_key_jwt in the form body. GET has no
 * body and an assertion in a query string would land in access logs, so assertions go by POST.
 */
async function authenticateFollower(ctx: BatonContext, req: Request): Promise<void> {
  const h = req.headers.authorization;
  if (h !== undefined && /^Bearer\s/i.test(h)) {
    if (isAdmin(ctx, h)) return;
    throw new InvalidClient('resource server credentials or an admin key are required');
  }
  const body = req.method === 'POST' ? ((req.body ?? {}) as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const client = await authenticateClient(clientAuthDeps(ctx, '/revocations'), {
    authorization: h,
    clientId: str(body.client_id),
    clientSecret: str(body.client_secret),
    clientAssertion: str(body.client_assertion),
    clientAssertionType: str(body.client_assertion_type),
  });
  // As before: an agent's credentials are no feed credentials (401, like none at all).
  if (client.kind !== 'resource_server')
    throw new InvalidClient('resource server credentials or an admin key are required');
}

const CATCH_UP_BATCH = DEFAULTS.feedCatchUpBatch;

/**
 * GET or POST /revocations — the revocation feed as Server-Sent Events. Each event's `id` is its feed
 * cursor; a client that reconnects with `Last-Event-ID` (or `?after=`) first gets every event
 * after it, then the live stream, with nothing lost in between: the live subscription starts
 * before the catch-up read, and live events at or before the last sent id are dropped.
 */
export function feedRouter(deps: HttpDeps): Router {
  const { ctx } = deps;
  const r = Router();
  const follow = async (req: Request, res: Response) => {
    await authenticateFollower(ctx, req);
    const bodyAfter =
      req.method === 'POST' ? (req.body as Record<string, unknown> | undefined)?.after : undefined;
    const cursor =
      (req.headers['last-event-id'] as string | undefined) ??
      (typeof req.query.after === 'string' ? req.query.after : undefined) ??
      (typeof bodyAfter === 'string' ? bodyAfter : undefined);
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
  };
  r.get('/revocations', follow);
  // The same stream, opened by a POST whose form carries the credentials (private_key_jwt).
  r.post('/revocations', follow);
  return r;
}
