import type { MarkEntry, Marks } from '../store/store.js';

/**
 * The marks held in process, and when each may be forgotten: a queue in arrival order, which is
 * stamp order but for a feed event racing a read (an entry behind a younger one waits for it,
 * so it is kept a little longer, never dropped early). Dropping costs O(marks expired).
 */
export class HeldMarks {
  readonly marks: Marks = { agents: new Map(), users: new Map(), all: 0 };
  private queue: MarkEntry[] = [];
  private head = 0;

  /** Keeps the latest stamp per agent / user / all. */
  hold(m: MarkEntry): void {
    if (m.kind === 'all') {
      if (m.stamp <= this.marks.all) return;
      this.marks.all = m.stamp;
    } else {
      const map = m.kind === 'agent' ? this.marks.agents : this.marks.users;
      if (m.stamp <= (map.get(m.id) ?? 0)) return;
      map.set(m.id, m.stamp);
    }
    this.queue.push(m);
  }

  /** Forgets every mark stamped at or before `cutoff` (µs) whose latest stamp is that old. */
  dropUpTo(cutoff: number): void {
    while (this.head < this.queue.length) {
      const m = this.queue[this.head] as MarkEntry;
      if (m.stamp > cutoff) break;
      if (m.kind === 'all') {
        if (this.marks.all === m.stamp) this.marks.all = 0;
      } else {
        const map = m.kind === 'agent' ? this.marks.agents : this.marks.users;
        if (map.get(m.id) === m.stamp) map.delete(m.id);
      }
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** How many marks are held (agents, users, and the kill switch if set). */
  get size(): number {
    return this.marks.agents.size + this.marks.users.size + (this.marks.all > 0 ? 1 : 0);
  }
}
