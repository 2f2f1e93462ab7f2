import { type FeedEvent, type MarkSet, markVerdict } from '@baton/protocol';

/** What the state needs of a checked token (its claims, docs/revocation.md "Applying it"). */
export interface RevocationSubject {
  txn: string;
  jti: string;
  sub: string;
  client_id: string;
  iat: number;
  actors: readonly string[];
  anc: readonly string[];
  st: readonly number[];
}

/**
 * The revocation state a local verifier keeps from the feed: revoked jtis, ended tasks, the
 * cross-task marks, and the "re-check" cut. A policy change (or a gap in the feed) cannot be
 * judged from claims: tokens issued at or before its stamp are re-checked once through
 * /introspect, each at most once per cut (`epoch`), so the cost is bounded by what is held.
 */
export class RevocationState {
  private readonly revokedJti = new Map<string, number>();
  private readonly endedTxn = new Map<string, number>();
  private marks = { agents: new Map<string, number>(), users: new Map<string, number>(), all: 0 };
  /** The policy version last heard; a policy event of the same version changes nothing. */
  policyVersion: string | undefined;
  /** Tokens issued at or before `stamp` (µs) are re-checked once per `epoch`. */
  recheck = { stamp: 0, epoch: 0 };

  constructor(private readonly retentionMs: number) {}

  apply(e: FeedEvent, now = Date.now()): void {
    const keep = now + this.retentionMs;
    switch (e.type) {
      case 'token':
        this.revokedJti.set(e.jti, keep);
        break;
      case 'task':
        this.endedTxn.set(e.txn, keep);
        break;
      case 'agent':
        this.marks.agents.set(e.id, Math.max(e.before, this.marks.agents.get(e.id) ?? 0));
        break;
      case 'user':
        this.marks.users.set(e.sub, Math.max(e.before, this.marks.users.get(e.sub) ?? 0));
        break;
      case 'all':
        this.marks.all = Math.max(this.marks.all, e.before);
        break;
      case 'policy':
        if (e.version !== this.policyVersion) {
          this.policyVersion = e.version;
          this.recheckBefore(e.stamp);
        }
        break;
      default:
      // An event type this version does not know: ignored (the feed may grow new ones).
    }
  }

  /** Every token issued at or before `stamp` (µs) is re-checked once through /introspect. */
  recheckBefore(stamp: number): void {
    this.recheck = { stamp: Math.max(stamp, this.recheck.stamp), epoch: this.recheck.epoch + 1 };
  }

  /** A `reset`: nothing cached can be trusted; the marks are re-learned from the start. */
  clear(): void {
    this.revokedJti.clear();
    this.endedTxn.clear();
    this.marks = { agents: new Map(), users: new Map(), all: 0 };
    this.policyVersion = undefined;
  }

  verdict(t: RevocationSubject): 'ok' | 'revoked' {
    if (this.endedTxn.has(t.txn) || this.revokedJti.has(t.jti)) return 'revoked';
    if (this.revokedJti.size > 0)
      for (const a of t.anc) if (this.revokedJti.has(a)) return 'revoked';
    const marks: MarkSet = this.marks;
    return markVerdict(marks, {
      sub: t.sub,
      client_id: t.client_id,
      actors: t.actors,
      stamps: t.st,
    });
  }

  /** True when a re-check cut covers a token issued at `iat` (s) and it was not re-checked since. */
  needsRecheck(iat: number, checkedEpoch: number): boolean {
    if (checkedEpoch >= this.recheck.epoch) return false;
    // iat has one-second resolution: a token of the same second as the cut is re-checked too.
    return iat * 1e6 <= this.recheck.stamp + 1e6;
  }

  /**
   * Drops entries kept past the longest token lifetime: revoked jtis and ended tasks heard that
   * long ago, and marks stamped that long ago (a mark covers only tokens issued before its stamp,
   * all expired by then — Baton forgets its marks the same way, docs/revocation.md).
   */
  prune(now = Date.now()): void {
    for (const m of [this.revokedJti, this.endedTxn])
      for (const [k, until] of m) if (until <= now) m.delete(k);
    const before = (now - this.retentionMs) * 1000; // stamps are epoch µs
    for (const m of [this.marks.agents, this.marks.users])
      for (const [k, stamp] of m) if (stamp <= before) m.delete(k);
    if (this.marks.all <= before) this.marks.all = 0;
  }

  /** Marks held now (agents + users + the kill switch), for tests and metrics. */
  get markCount(): number {
    return this.marks.agents.size + this.marks.users.size + (this.marks.all > 0 ? 1 : 0);
  }
}
