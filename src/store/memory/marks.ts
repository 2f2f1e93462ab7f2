import { randomUUID } from 'node:crypto';
import { epochMillis } from '../../clock.js';
import { cursorAfter } from '../mark-pages.js';
import type { MarkStore } from '../store.js';
import type { MarkCursor, MarkEntry, MarkKind, MarkPage, MarkReadOptions } from '../types.js';
import type { Stamps } from './stamps.js';

const fieldOf = (kind: MarkKind, id: string): string => (kind === 'all' ? 'all' : `${kind}:${id}`);

/**
 * Cross-task marks, as the Redis store keeps them: the latest stamp per agent / user / all,
 * and a log in stamp order (stamps only grow) that reads page from a cursor and drops marks
 * from its old end once they are older than the longest task lifetime.
 */
export class MemoryMarks implements MarkStore {
  /** field -> stamp of its latest mark. */
  private readonly latest = new Map<string, number>();
  /** Every mark in stamp order from `head`; an entry superseded by a later one is skipped. */
  private log: MarkEntry[] = [];
  private head = 0;
  private readonly epoch = randomUUID();

  constructor(private readonly stamps: Stamps) {}

  async putMark(kind: MarkKind, id: string): Promise<number> {
    const stamp = this.stamps.next();
    this.latest.set(fieldOf(kind, id), stamp);
    this.log.push({ kind, id: kind === 'all' ? '*' : id, stamp });
    return stamp;
  }

  async readMarks(after: MarkCursor | undefined, opts: MarkReadOptions): Promise<MarkPage> {
    const cutoff = (epochMillis() - opts.maxAgeSeconds * 1000) * 1000;
    const pruned = this.prune(cutoff, opts.limit);
    const from = after && after.stamp > cutoff ? after : { stamp: cutoff, seen: 0 };
    const marks: MarkEntry[] = [];
    // Stamps here never repeat, so "seen at that stamp" means "start after it".
    const start =
      from.seen > 0 ? this.firstAtOrAfter(from.stamp + 1) : this.firstAtOrAfter(from.stamp);
    for (let i = start; i < this.log.length && marks.length < opts.limit; i++) {
      const m = this.log[i] as MarkEntry;
      if (this.latest.get(fieldOf(m.kind, m.id)) === m.stamp) marks.push(m);
    }
    return {
      marks,
      next: cursorAfter(from, marks),
      more: marks.length === opts.limit || pruned === opts.limit,
      epoch: this.epoch,
    };
  }

  /** Drops up to `limit` marks stamped at or before `cutoff` from the old end. */
  private prune(cutoff: number, limit: number): number {
    let n = 0;
    while (n < limit && this.head < this.log.length) {
      const m = this.log[this.head] as MarkEntry;
      if (m.stamp > cutoff) break;
      const f = fieldOf(m.kind, m.id);
      if (this.latest.get(f) === m.stamp) this.latest.delete(f);
      this.head++;
      n++;
    }
    if (this.head > 1024 && this.head * 2 > this.log.length) {
      this.log = this.log.slice(this.head);
      this.head = 0;
    }
    return n;
  }

  /** Index of the first logged mark stamped at or after `stamp` (binary search). */
  private firstAtOrAfter(stamp: number): number {
    let lo = this.head;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.log[mid] as MarkEntry).stamp < stamp) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
