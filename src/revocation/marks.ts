import type { FeedEntry, Marks, TokenStore } from '../store/store.js';
import type { FeedHub } from './feed-hub.js';

/** What a marks check needs of a token: its chain and the stamps at which each actor joined. */
export interface MarkSubject {
  sub: string;
  client_id: string;
  /** Outermost (current actor) first. */
  actors: readonly string[];
  /** Same order as `actors`; the last is the task's start stamp. */
  stamps: readonly number[];
}

export type MarkVerdict = 'ok' | 'revoked' | 'stale';

/**
 * Cross-task revocation marks (agent, user, kill switch) held in process, fed by the
 * revocation feed and re-read on a timer. They are few and rarely change, so holding them here
 * keeps every check to one round trip on a Redis Cluster. If they have not been confirmed fresh
 * within `maxStalenessMs`, every verdict is 'stale' and callers fail closed (invariant 7).
 *
 * "Issued before" compares a mark with the stamp at which the agent (or, for users and the kill
 * switch, the task) entered the token's chain. Children inherit those stamps, so a token minted
 * from an already-revoked parent by an instance that had not yet heard of the mark dies too.
 */
export class MarkCache {
  private marks: Marks = { agents: new Map(), users: new Map(), all: 0 };
  private lastFresh = 0;
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private unfollow: (() => void) | undefined;

  constructor(
    private readonly store: TokenStore,
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

  isFresh(now = Date.now()): boolean {
    return now - this.lastFresh <= this.maxStalenessMs;
  }

  verdict(t: MarkSubject, now = Date.now()): MarkVerdict {
    if (!this.isFresh(now)) return 'stale';
    const root = t.stamps[t.stamps.length - 1] ?? 0;
    if (this.marks.all >= root) return 'revoked';
    const u = this.marks.users.get(t.sub);
    if (u !== undefined && u >= root) return 'revoked';
    if (this.marks.agents.size === 0) return 'ok';
    for (let i = 0; i < t.actors.length; i++) {
      const m = this.marks.agents.get(t.actors[i]!);
      if (m !== undefined && m >= (t.stamps[i] ?? 0)) return 'revoked';
    }
    // The client that holds it (RFC 7009 sense); judged by the current actor's entry stamp.
    const c = this.marks.agents.get(t.client_id);
    if (c !== undefined && c >= (t.stamps[0] ?? 0)) return 'revoked';
    return 'ok';
  }
}
