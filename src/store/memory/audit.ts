import { epochMillis, epochSeconds } from '../../clock.js';
import type { AuditStore } from '../store.js';
import type { AuditEntry, AuditRetention } from '../types.js';

interface Ring {
  items: { id: string; json: string }[];
  /** Epoch seconds after which the whole ring is dropped (task streams only). */
  expiresAt: number;
}

/** Task streams and the global stream as bounded rings, trimmed by length and age. */
export class MemoryAudit implements AuditStore {
  private readonly tasks = new Map<string, Ring>();
  private readonly global: Ring = { items: [], expiresAt: Infinity };
  private seq = 0;

  constructor(
    private readonly retention: AuditRetention,
    /** The deadline of a task this store holds, if it holds it. */
    private readonly deadlineOf: (txn: string) => number | undefined,
  ) {}

  /** Ids like the Redis stream's: increasing; here µs-since-epoch based so age trimming works. */
  private nextId(): string {
    this.seq = Math.max(this.seq + 1, epochMillis() * 1000);
    return String(this.seq);
  }

  /** Files one event in a task's stream, which outlives the task's deadline by the max age. */
  fileTaskEvent(txn: string, json: string, deadline: number): void {
    let r = this.tasks.get(txn);
    if (!r) {
      r = { items: [], expiresAt: deadline + this.retention.maxAgeSeconds };
      this.tasks.set(txn, r);
    }
    r.items.push({ id: this.nextId(), json });
    if (r.items.length > this.retention.taskMaxEvents) r.items.shift();
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    for (const e of entries) {
      if (e.txn && !e.inTaskStream)
        this.fileTaskEvent(e.txn, e.json, this.deadlineOf(e.txn) ?? epochSeconds());
      this.global.items.push({ id: this.nextId(), json: e.json });
      if (this.global.items.length > this.retention.globalMaxEvents) this.global.items.shift();
    }
  }

  async readTaskAudit(txn: string, limit: number) {
    const r = this.tasks.get(txn);
    return r && r.expiresAt > epochSeconds() ? r.items.slice(0, limit) : [];
  }

  async readAudit(afterId: string | undefined, limit: number) {
    const after = afterId === undefined ? -1 : Number(afterId);
    return this.global.items.filter((e) => Number(e.id) > after).slice(0, limit);
  }

  sweep(now: number): void {
    for (const [txn, r] of this.tasks) if (r.expiresAt <= now) this.tasks.delete(txn);
    const oldestId = (epochMillis() - this.retention.maxAgeSeconds * 1000) * 1000;
    this.global.items = this.global.items.filter((e) => Number(e.id) >= oldestId);
  }
}
