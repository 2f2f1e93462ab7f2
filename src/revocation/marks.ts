import { InvalidRequest, TemporarilyUnavailable } from '../errors.js';
import { markVerdict, type MarkSubject } from '../protocol/marks.js';
import { epochMillis } from '../clock.js';
import type { FeedEntry, MarkCursor, Marks, MarkStore } from '../store/store.js';
import { actorChain, type BatonClaims } from '../tokens/claims.js';
import type { FeedHub } from './feed-hub.js';
import { HeldMarks } from './mark-expiry.js';

export type { MarkSubject } from '../protocol/marks.js';
export type MarkVerdict = 'ok' | 'revoked' | 'stale';

/** What a check needs of the marks: a verdict that is 'stale' when they may be out of date. */
export interface MarkVerdicts {
  verdict(t: MarkSubject, now?: number): MarkVerdict;
}

/** How the marks cache reads and forgets (defaults: src/config/defaults.ts, `marks*`). */
export interface MarkCacheOptions {
  /** Past this without a confirmed read (while the feed is connected), verdicts are 'stale'. */
  maxStalenessMs: number;
  refreshMs: number;
  /** Marks older than this cover no live token (src/config/task-lifetime.ts): forgotten. */
  maxAgeSeconds: number;
  /** Marks per store call; the loop yields to the event loop between calls. */
  readChunk: number;
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Cross-task revocation marks (agent, user, kill switch) held in process, fed by the
 * revocation feed and re-read on a timer. Holding them here keeps every check to one round
 * trip on a Redis Cluster. If they have not been confirmed fresh within `maxStalenessMs`,
 * every verdict is 'stale' and callers fail closed (invariant 7). The rule itself is the
 * protocol's `markVerdict` (src/protocol/marks.ts).
 *
 * A re-read asks only for marks stamped since the last one read (the store's stamp index),
 * page by page; all of them only at start, after the feed dropped (events may have been
 * missed), and when the store's epoch changes (its marks were lost or replaced). Re-reads never
 * overlap: one still running when the timer fires is the one the timer waits for. Marks older
 * than one task lifetime are forgotten, here and in the store, so what is held is bounded by
 * the revocations of one task lifetime, not by history (docs/revocation.md).
 */
export class MarkCache implements MarkVerdicts {
  private readonly held = new HeldMarks();
  private cursor: MarkCursor | undefined;
  private epoch: string | undefined;
  private fullReadDue = true;
  private running: Promise<void> | undefined;
  private lastFresh = 0;
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private unfollow: (() => void) | undefined;
  private offState: (() => void) | undefined;

  constructor(
    private readonly store: MarkStore,
    private readonly feed: FeedHub,
    private readonly opts: MarkCacheOptions,
  ) {}

  async start(): Promise<void> {
    this.unfollow = this.feed.follow((e) => this.apply(e));
    this.offState = this.feed.onState((up) => {
      // Live events may have been missed while the feed was down: read everything again.
      if (up && !this.connected) this.fullReadDue = true;
      this.connected = up;
    });
    this.connected = this.feed.connected;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.opts.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unfollow?.();
    this.offState?.();
    await this.running;
  }

  /** Reads what changed since the last read (single flight); fresh only while the feed is up. */
  refresh(): Promise<void> {
    this.running ??= this.refreshOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async refreshOnce(): Promise<void> {
    // Fresh as of when the read began: marks written after it may not be in it.
    const began = Date.now();
    const connectedThroughout = this.connected;
    try {
      await this.readChanges();
      this.forgetExpired();
      if (connectedThroughout && this.connected) this.lastFresh = began;
    } catch {
      /* stays stale; verdicts fail closed once the bound passes */
    }
  }

  private async readChanges(): Promise<void> {
    const full = this.fullReadDue || this.cursor === undefined;
    this.fullReadDue = false;
    let cursor = full ? undefined : this.cursor;
    let restarted = false;
    try {
      for (;;) {
        const page = await this.store.readMarks(cursor, {
          limit: this.opts.readChunk,
          maxAgeSeconds: this.opts.maxAgeSeconds,
        });
        if (this.epoch !== undefined && page.epoch !== this.epoch && cursor !== undefined) {
          // The store's marks are not the ones read so far: start again from nothing.
          if (restarted) throw new Error('the marks epoch changed twice in one read');
          restarted = true;
          this.epoch = page.epoch;
          cursor = undefined;
          continue;
        }
        this.epoch = page.epoch;
        for (const m of page.marks) this.held.hold(m);
        cursor = page.next;
        if (!page.more) break;
        await yieldToEventLoop();
      }
      this.cursor = cursor;
    } catch (e) {
      this.fullReadDue ||= full;
      throw e;
    }
  }

  /** Drops marks past `maxAgeSeconds` by this instance's clock (src/clock.ts). */
  private forgetExpired(): void {
    this.held.dropUpTo((epochMillis() - this.opts.maxAgeSeconds * 1000) * 1000);
  }

  /** Applies a feed event at once (also called directly by the instance that revoked). */
  apply(entry: FeedEntry | { event: FeedEntry['event'] }): void {
    const e = entry.event;
    if (e.type === 'agent') this.held.hold({ kind: 'agent', id: e.id, stamp: e.before });
    else if (e.type === 'user') this.held.hold({ kind: 'user', id: e.sub, stamp: e.before });
    else if (e.type === 'all') this.held.hold({ kind: 'all', id: '*', stamp: e.before });
  }

  /** Marks held now (for /metrics and the tests). */
  get size(): number {
    return this.held.size;
  }

  /** The marks held now (the admin API shows an agent's). Read only. */
  snapshot(): Readonly<Marks> {
    return this.held.marks;
  }

  isFresh(now = Date.now()): boolean {
    return now - this.lastFresh <= this.opts.maxStalenessMs;
  }

  verdict(t: MarkSubject, now = Date.now()): MarkVerdict {
    return this.isFresh(now) ? markVerdict(this.held.marks, t) : 'stale';
  }
}

/** Cross-task marks (agent, user, kill switch) for a Baton token; fails closed when stale. */
export function assertNotMarked(marks: MarkVerdicts, c: BatonClaims, what: string): void {
  const v = marks.verdict({
    sub: c.sub,
    client_id: c.client_id,
    actors: actorChain(c.act),
    stamps: c.lineage.st,
  });
  if (v === 'stale')
    throw new TemporarilyUnavailable('revocation state is not current; try again shortly');
  if (v === 'revoked') throw new InvalidRequest(`${what} has been revoked`);
}
