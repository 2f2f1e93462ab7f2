import { StoreBudget } from '../store/deadline.js';
import { orUnavailable, type FeedEntry, type FeedStore } from '../store/store.js';
import { feedIdAfter } from '../protocol/feed.js';
import { placeCursor } from './feed-cursor.js';
import type { FeedHub } from './feed-hub.js';
import { type FeedSocket, FollowerOutput } from './feed-output.js';

/** What following the feed uses: the feed store (catch-up), the hub (live, followers). */
export interface FeedFollowDeps {
  store: FeedStore & { within(budget: StoreBudget): FeedStore };
  feed: Pick<FeedHub, 'follow' | 'onState' | 'followers'>;
  /** Catch-up reads the store in batches of this many entries. */
  catchUpBatch: number;
  /** A comment is sent this often so proxies keep an idle stream open. */
  heartbeatMs: number;
  /** Each store read has a budget of its own (`store.requestTimeoutMs`): a long catch-up is many reads. */
  readBudgetMs: number;
}

export interface Follower {
  /** Counted against the per-client cap: the resource server's client id, or `admin`. */
  client: string;
  /** The last id the follower has (Last-Event-ID or ?after=), already a FEED_ID. */
  cursor?: string;
}

const frame = (e: FeedEntry): string =>
  `id: ${e.id}\nevent: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`;
const notice = (type: string, data: object): string =>
  `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Serves one follower of the revocation feed (docs/revocation.md, "The revocation feed"): admits
 * it (429 past the caps), subscribes live before reading, places its cursor (`reset` when it is
 * no position of this feed, `gap` when older than what is kept), sends every event after it, then
 * the live ones, with nothing lost in between: live events at or before the last sent id are
 * dropped. `open` sends the 200 and headers; everything before it may still answer an error.
 */
export async function followFeed(
  deps: FeedFollowDeps,
  who: Follower,
  out: FeedSocket,
  open: () => void,
): Promise<void> {
  const { limits } = deps.feed.followers;
  const output = new FollowerOutput(out, limits, (reason) => deps.feed.followers.dropped(reason));
  const slot = deps.feed.followers.admit(who.client, () => output.buffered());
  let last = who.cursor;
  const send = (e: FeedEntry) => {
    if (last !== undefined && !feedIdAfter(e.id, last)) return;
    last = e.id;
    output.push(frame(e));
  };
  let caughtUp = false;
  const pending: FeedEntry[] = [];
  let pendingBytes = 0;
  // Subscribe before answering: a revocation right after the client sees the 200 is not lost.
  const unfollow = deps.feed.follow((e) => {
    if (caughtUp) return send(e);
    pending.push(e);
    pendingBytes += frame(e).length;
    // Live events held during a catch-up count against the same bound as the socket's.
    if (pendingBytes + output.buffered() > limits.maxBufferedBytes) output.drop('bytes');
  });
  // Fail closed: if this instance loses its own subscription, events may be missed; end the
  // stream so the follower reconnects with its cursor and the catch-up read fills the gap.
  const offState = deps.feed.onState((up) => {
    if (!up) out.end();
  });
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(heartbeat);
    unfollow();
    offState();
    slot.release();
  };
  out.once('close', stop);
  let place: ReturnType<typeof placeCursor> | undefined;
  try {
    // Read the store before the 200 even without a cursor: a store that is down answers 503,
    // never a stream that looks live and carries nothing.
    const bounds = await orUnavailable(
      () => deps.store.within(new StoreBudget(deps.readBudgetMs)).feedBounds(),
      'the feed cannot be read now; reconnect with the same cursor',
    );
    if (last !== undefined) place = placeCursor(last, bounds);
  } catch (e) {
    stop();
    throw e;
  }
  open();
  output.push(': baton revocation feed\n\n');
  heartbeat = setInterval(() => output.heartbeat(), deps.heartbeatMs);
  heartbeat.unref();
  if (place?.kind === 'reset') {
    output.push(notice('reset', place.reset));
    last = place.reset.resume_after;
  } else if (place) {
    if (place.kind === 'gap') output.push(notice('gap', place.gap));
    try {
      for (;;) {
        const after = last;
        const batch = await deps.store
          .within(new StoreBudget(deps.readBudgetMs))
          .readFeed(after, deps.catchUpBatch);
        for (const e of batch) {
          send(e);
          if (!(await output.settled())) return;
        }
        if (batch.length < deps.catchUpBatch) break;
      }
    } catch {
      // Headers are sent: end the stream; the follower reconnects with its cursor.
      out.end();
      return;
    }
  }
  caughtUp = true;
  for (const e of pending.splice(0)) send(e);
  // Tells the follower the catch-up is over: from here its state is as current as the feed's,
  // so a resource server may trust its local checks again (docs/revocation.md, "Catch-up").
  output.push(': live\n\n');
}
