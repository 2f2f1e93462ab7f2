import { epochMillis, epochSeconds } from '../../clock.js';
import type { AuditStore } from '../store.js';
import type { AuditEntry, AuditRetention, AuditStream } from '../types.js';

interface Ring {
  items: { id: string; json: string }[];
  /** Epoch seconds after which the whole ring is dropped (task streams only). */
  expiresAt: number;
}

/**
 * Task streams and the global stream as bounded rings, trimmed by length and age; each in two,
 * decisions and refusals, bounded apart so refusals never evict a decision.
 */
export class MemoryAudit implements AuditStore {
  private readonly tasks: Record<AuditStream, Map<string, Ring>> = {
    decisions: new Map(),
    refusals: new Map(),
  };
  private readonly global: Record<AuditStream, Ring> = {
    decisions: { items: [], expiresAt: Infinity },
    refusals: { items: [], expiresAt: Infinity },
  };
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
  fileTaskEvent(txn: string, json: string, deadline: number, stream: AuditStream = 'decisions') {
    const rings = this.tasks[stream];
    let r = rings.get(txn);
    if (!r) {
      r = { items: [], expiresAt: deadline + this.retention.maxAgeSeconds };
      rings.set(txn, r);
    }
    r.items.push({ id: this.nextId(), json });
    const max =
      stream === 'refusals' ? this.retention.taskMaxRefusals : this.retention.taskMaxEvents;
    if (r.items.length > max) r.items.shift();
  }

  /** A renewed task: its streams now live their max age past the new deadline. */
  extendTaskStreams(txn: string, deadline: number): void {
    const until = deadline + this.retention.maxAgeSeconds;
    for (const rings of Object.values(this.tasks)) {
      const r = rings.get(txn);
      if (r && r.expiresAt < until) r.expiresAt = until;
    }
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    for (const e of entries) {
      const stream: AuditStream = e.refusal ? 'refusals' : 'decisions';
      if (e.txn && !e.inTaskStream)
        this.fileTaskEvent(e.txn, e.json, this.deadlineOf(e.txn) ?? epochSeconds(), stream);
      const g = this.global[stream];
      g.items.push({ id: this.nextId(), json: e.json });
      const max =
        stream === 'refusals' ? this.retention.globalMaxRefusals : this.retention.globalMaxEvents;
      if (g.items.length > max) g.items.shift();
    }
  }

  async readTaskAudit(txn: string, limit: number, stream: AuditStream) {
    const r = this.tasks[stream].get(txn);
    return r && r.expiresAt > epochSeconds() ? r.items.slice(0, limit) : [];
  }

  async readAudit(afterId: string | undefined, limit: number, stream: AuditStream) {
    const after = afterId === undefined ? -1 : Number(afterId);
    return this.global[stream].items.filter((e) => Number(e.id) > after).slice(0, limit);
  }

  sweep(now: number): void {
    const oldestId = (epochMillis() - this.retention.maxAgeSeconds * 1000) * 1000;
    for (const stream of ['decisions', 'refusals'] as const) {
      const rings = this.tasks[stream];
      for (const [txn, r] of rings) if (r.expiresAt <= now) rings.delete(txn);
      const g = this.global[stream];
      g.items = g.items.filter((e) => Number(e.id) >= oldestId);
    }
  }
}
