import { TemporarilyUnavailable } from '../errors.js';

/** How many followers one instance serves, and how far behind one may fall. */
export interface FollowerLimits {
  /** Followers per instance, all clients together. */
  max: number;
  /** Followers per client (a resource server's replicas share its client id). */
  perClient: number;
  /** Bytes queued for one follower (in Baton and its socket's buffer) before it is dropped. */
  maxBufferedBytes: number;
  /** How long one follower may keep Baton waiting for its socket to drain before it is dropped. */
  maxLagMs: number;
  /** Retry-After (seconds) told to a follower refused for the caps. */
  retryAfterSeconds: number;
}

/** Why Baton dropped a follower: it kept Baton waiting past `maxLagMs`, or held past `maxBufferedBytes`. */
export type FollowerDropReason = 'lag' | 'bytes';

/** One admitted follower: what it has queued, and its release. */
export interface FollowerSlot {
  /** Bytes this follower holds now (its queue and its socket's buffer), for the metrics. */
  buffered: () => number;
  release(): void;
}

/**
 * The followers of this instance, counted per client and in total, so that followers which
 * connect and never read cannot grow Baton without bound: each holds at most
 * `maxBufferedBytes`, and there are at most `max` of them.
 */
export class Followers {
  private readonly perClient = new Map<string, number>();
  private readonly slots = new Set<{ buffered: () => number }>();
  /** Followers this instance dropped since it started, by reason (a counter for the metrics). */
  readonly drops: Record<FollowerDropReason, number> = { lag: 0, bytes: 0 };

  constructor(readonly limits: FollowerLimits) {}

  /** Admits a follower of `client`, or refuses it with 429 and Retry-After. */
  admit(client: string, buffered: () => number): FollowerSlot {
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.limits.perClient || this.slots.size >= this.limits.max)
      throw new TemporarilyUnavailable(
        mine >= this.limits.perClient
          ? 'too many revocation feed followers for this client; retry later'
          : 'too many revocation feed followers on this instance; retry later',
        {
          status: 429,
          headers: { 'Retry-After': String(this.limits.retryAfterSeconds) },
        },
      );
    const slot = { buffered };
    this.slots.add(slot);
    this.perClient.set(client, mine + 1);
    let released = false;
    return {
      buffered,
      release: () => {
        if (released) return;
        released = true;
        this.slots.delete(slot);
        const n = (this.perClient.get(client) ?? 1) - 1;
        if (n > 0) this.perClient.set(client, n);
        else this.perClient.delete(client);
      },
    };
  }

  /** Counts a follower Baton dropped (never one that closed its own connection). */
  dropped(reason: FollowerDropReason): void {
    this.drops[reason]++;
  }

  get count(): number {
    return this.slots.size;
  }

  /** Bytes all followers hold now. */
  bufferedBytes(): number {
    let n = 0;
    for (const s of this.slots) n += s.buffered();
    return n;
  }
}
