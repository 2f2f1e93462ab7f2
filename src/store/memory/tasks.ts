import { epochSeconds } from '../../clock.js';
import { StoreRejection, type TaskStore } from '../store.js';
import type { Outcome, TaskRecord, TaskTree, TokenRecord } from '../types.js';
import type { MemoryAudit } from './audit.js';
import type { Stamps } from './stamps.js';

export interface TaskEntry {
  task: TaskRecord;
  tokens: Map<string, TokenRecord>;
  revoked: Set<string>;
  /** Revocations published on the feed: '' for the task's end, else a jti. */
  notified: Set<string>;
}

/**
 * Tasks and their token records. A task expires at its deadline (lazily on access and by the
 * store's sweep), as its Redis keys do; an expired token is refused earlier, by its JWT `exp`.
 */
export class MemoryTasks implements TaskStore {
  private readonly tasks = new Map<string, TaskEntry>();

  constructor(
    private readonly stamps: Stamps,
    private readonly audit: MemoryAudit,
  ) {}

  /** The task's entry while its deadline has not passed. */
  live(txn: string): TaskEntry | undefined {
    const e = this.tasks.get(txn);
    if (e && e.task.deadline <= epochSeconds()) {
      this.tasks.delete(txn);
      return undefined;
    }
    return e;
  }

  /** Every task still held (the memory store's task index reads them). */
  *records(): Iterable<TaskRecord> {
    for (const e of this.tasks.values()) yield e.task;
  }

  /** The deadline of a task still held (expired or not), for its audit stream's lifetime. */
  deadlineOf(txn: string): number | undefined {
    return this.tasks.get(txn)?.task.deadline;
  }

  async startTask(
    task: Omit<TaskRecord, 'stamp' | 'status'>,
    token: TokenRecord,
    auditJson?: string,
  ): Promise<number> {
    if (this.live(task.txn)) throw new StoreRejection('task_ended');
    const stamp = this.stamps.next();
    if (auditJson) this.audit.fileTaskEvent(task.txn, auditJson, task.deadline);
    this.tasks.set(task.txn, {
      task: { ...task, status: 'open', stamp },
      tokens: new Map([[token.jti, { ...token, stamp }]]),
      revoked: new Set(),
      notified: new Set(),
    });
    return stamp;
  }

  async recordToken(token: TokenRecord, auditJson?: string): Promise<number> {
    const e = this.live(token.txn);
    if (!e) throw new StoreRejection('unknown_task');
    if (e.task.status !== 'open') throw new StoreRejection('task_ended');
    if (token.anc.some((j) => e.revoked.has(j))) throw new StoreRejection('revoked');
    const stamp = this.stamps.next();
    if (auditJson) this.audit.fileTaskEvent(token.txn, auditJson, e.task.deadline);
    e.tokens.set(token.jti, { ...token, stamp });
    return stamp;
  }

  async renewTask(token: TokenRecord, deadline: number, auditJson?: string): Promise<number> {
    const e = this.live(token.txn);
    if (!e) throw new StoreRejection('unknown_task');
    if (e.task.status !== 'open') throw new StoreRejection('task_ended');
    if (token.anc.some((j) => e.revoked.has(j))) throw new StoreRejection('revoked');
    if (deadline <= e.task.deadline) throw new StoreRejection('not_extended');
    const stamp = this.stamps.next();
    e.task = { ...e.task, deadline };
    // The task's audit stream lives its max age past the (new) deadline, as on Redis.
    this.audit.extendTaskStreams(token.txn, deadline);
    if (auditJson) this.audit.fileTaskEvent(token.txn, auditJson, deadline);
    e.tokens.set(token.jti, { ...token, stamp });
    return stamp;
  }

  async getTask(txn: string): Promise<TaskRecord | undefined> {
    const e = this.live(txn);
    return e ? { ...e.task } : undefined;
  }

  async getTaskTree(txn: string): Promise<TaskTree | undefined> {
    const e = this.live(txn);
    if (!e) return undefined;
    return { task: { ...e.task }, tokens: [...e.tokens.values()], revoked: [...e.revoked] };
  }

  async endTask(
    txn: string,
    status: 'completed' | 'revoked',
    by: string,
    outcome?: Outcome,
    summary?: string,
  ) {
    const e = this.live(txn);
    if (!e) return undefined;
    if (e.task.status !== 'open') return { ended: 0, changed: false };
    const ended = e.tokens.size;
    e.task = {
      ...e.task,
      status,
      endedBy: by,
      ...(outcome ? { outcome } : {}),
      ...(summary ? { summary } : {}),
    };
    return { ended, changed: true };
  }

  sweep(now: number): void {
    for (const [txn, e] of this.tasks) if (e.task.deadline <= now) this.tasks.delete(txn);
  }
}
