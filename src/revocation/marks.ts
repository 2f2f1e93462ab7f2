import { InvalidRequest, TemporarilyUnavailable } from '../errors.js';
import { markVerdict, type MarkSubject } from '../protocol/marks.js';
import type { FeedEntry, MarkStore, Marks } from '../store/store.js';
import { actorChain, type BatonClaims } from '../tokens/claims.js';
import type { FeedHub } from './feed-hub.js';

export type { MarkSubject } from '../protocol/marks.js';
export type MarkVerdict = 'ok' | 'revoked' | 'stale';

/** What a check needs of the marks: a verdict that is 'stale' when they may be out of date. */
export interface MarkVerdicts {
  verdict(t: MarkSubject, now?: number): MarkVerdict;
}

/**
 * Cross-task revocation marks (agent, user, kill switch) held in process, fed by the
 * revocation feed and re-read on a timer. They are few and rarely change, so holding them here
 * keeps every check to one round trip on a Redis Cluster. If they have not been confirmed fresh
 * within `maxStalenessMs`, every verdict is 'stale' and callers fail closed (invariant 7).
 * The rule itself is the protocol's `markVerdict` (src/protocol/marks.ts).
 */
export class MarkCache implements MarkVerdicts {
  private marks: Marks = { agents: new Map(), users: new Map(), all: 0 };
  private lastFresh = 0;
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private unfollow: (() => void) | undefined;

  constructor(
    private readonly store: MarkStore,
    private readonly feed: FeedHub,
    private readonly maxStalenessMs: number,
    private readonly refreshMs: number,
  ) {}

  async start(): Promise<void> {
    this.unfollow = this.feed.follow((e) => this.apply(e));
    this.feed.onState((up) => {
      this.connected = up;
    });
    this.connected = this.feed.connected;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unfollow?.();
  }

  /** Re-reads all marks; fresh only while the live feed is connected too. */
  async refresh(): Promise<void> {
    try {
      const m = await this.store.loadMarks();
      this.merge(m);
      if (this.connected) this.lastFresh = Date.now();
    } catch {
      /* stays stale; verdicts fail closed once the bound passes */
    }
  }

  private merge(m: Marks): void {
    for (const [id, s] of m.agents)
      this.marks.agents.set(id, Math.max(s, this.marks.agents.get(id) ?? 0));
    for (const [id, s] of m.users)
      this.marks.users.set(id, Math.max(s, this.marks.users.get(id) ?? 0));
    this.marks.all = Math.max(this.marks.all, m.all);
  }

  /** Applies a feed event at once (also called directly by the instance that revoked). */
  apply(entry: FeedEntry | { event: FeedEntry['event'] }): void {
    const e = entry.event;
    if (e.type === 'agent')
      this.merge({ agents: new Map([[e.id, e.before]]), users: new Map(), all: 0 });
    else if (e.type === 'user')
      this.merge({ agents: new Map(), users: new Map([[e.sub, e.before]]), all: 0 });
    else if (e.type === 'all') this.merge({ agents: new Map(), users: new Map(), all: e.before });
  }

  /** The marks held now (the admin API shows an agent's). Read only. */
  snapshot(): Readonly<Marks> {
    return this.marks;
  }

  isFresh(now = Date.now()): boolean {
    return now - this.lastFresh <= this.maxStalenessMs;
  }

  verdict(t: MarkSubject, now = Date.now()): MarkVerdict {
    return this.isFresh(now) ? markVerdict(this.marks, t) : 'stale';
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
