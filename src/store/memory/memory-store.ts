import { EventEmitter } from 'node:events';
import {
  StoreRejection,
  type FeedEntry,
  type FeedEvent,
  type MarkKind,
  type Marks,
  type Outcome,
  type TaskRecord,
  type TaskTree,
  type TokenRecord,
  type TokenState,
  type TokenStore,
  type AuditEntry,
  type AuditRetention,
  type ApprovalRecord,
} from '../store.js';

interface Ring {
  items: { id: string; json: string }[];
  /** Epoch seconds after which the whole ring is dropped (task streams only). */
  expiresAt: number;
}

interface TaskEntry {
  task: TaskRecord;
  tokens: Map<string, TokenRecord>;
  revoked: Set<string>;
}

const nowSec = () => Math.floor(Date.now() / 1000);

/**
 * The embedded store: one process, no dependencies, same semantics as Redis. A task and its
 * token records expire at the task's deadline (lazily on access and by a periodic sweep), as
 * the Redis keys do; an expired token is refused earlier, by its JWT `exp`. The feed is a ring.
 */
export class MemoryStore implements TokenStore {
  private readonly tasks = new Map<string, TaskEntry>();
  private readonly once = new Map<string, number>();
  private readonly marks: Marks = { agents: new Map(), users: new Map(), all: 0 };
  private readonly feed: FeedEntry[] = [];
  private feedSeq = 0;
  private lastStamp = 0;
  private readonly events = new EventEmitter();
  private readonly sweeper: NodeJS.Timeout;
  private readonly taskAudit = new Map<string, Ring>();
  private readonly globalAudit: Ring = { items: [], expiresAt: Infinity };
  private auditSeq = 0;

  constructor(
    private readonly feedMaxLength = 100_000,
    private readonly audit: AuditRetention = {
      taskMaxEvents: 10_000,
      globalMaxEvents: 100_000,
      maxAgeSeconds: 7 * 24 * 3600,
    },
  ) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
    this.events.setMaxListeners(0);
  }

  /** Strictly increasing microsecond stamps, like Redis TIME but never repeating. */
  private stamp(): number {
    this.lastStamp = Math.max(this.lastStamp + 1, Date.now() * 1000);
    return this.lastStamp;
  }

  private live(txn: string): TaskEntry | undefined {
    const e = this.tasks.get(txn);
    if (e && e.task.deadline <= nowSec()) {
      this.tasks.delete(txn);
      return undefined;
    }
    return e;
  }

  sweep(): void {
    const now = nowSec();
    for (const [txn, e] of this.tasks) {
      if (e.task.deadline <= now) this.tasks.delete(txn);
    }
    for (const [k, exp] of this.once) if (exp <= now) this.once.delete(k);
    for (const [txn, r] of this.taskAudit) if (r.expiresAt <= now) this.taskAudit.delete(txn);
    const oldestId = (Date.now() - this.audit.maxAgeSeconds * 1000) * 1000;
    this.globalAudit.items = this.globalAudit.items.filter((e) => Number(e.id) >= oldestId);
  }

  /** Ids like the Redis stream's: increasing; here µs-since-epoch based so age trimming works. */
  private auditId(): string {
    this.auditSeq = Math.max(this.auditSeq + 1, Date.now() * 1000);
    return String(this.auditSeq);
  }

  private fileTaskAudit(txn: string, json: string, expiresAt: number): void {
    let r = this.taskAudit.get(txn);
    if (!r) this.taskAudit.set(txn, (r = { items: [], expiresAt }));
    r.items.push({ id: this.auditId(), json });
    if (r.items.length > this.audit.taskMaxEvents) r.items.shift();
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    for (const e of entries) {
      if (e.txn && !e.inTaskStream) {
        const deadline = this.tasks.get(e.txn)?.task.deadline ?? nowSec();
        this.fileTaskAudit(e.txn, e.json, deadline + this.audit.maxAgeSeconds);
      }
      this.globalAudit.items.push({ id: this.auditId(), json: e.json });
      if (this.globalAudit.items.length > this.audit.globalMaxEvents)
        this.globalAudit.items.shift();
    }
  }

  async readTaskAudit(txn: string, limit: number) {
    const r = this.taskAudit.get(txn);
    return r && r.expiresAt > nowSec() ? r.items.slice(0, limit) : [];
  }

  async readAudit(afterId: string | undefined, limit: number) {
    const after = afterId === undefined ? -1 : Number(afterId);
    return this.globalAudit.items.filter((e) => Number(e.id) > after).slice(0, limit);
  }

  async startTask(
    task: Omit<TaskRecord, 'stamp' | 'status'>,
    token: TokenRecord,
    auditJson?: string,
  ): Promise<number> {
    if (this.live(task.txn)) throw new StoreRejection('task_ended');
    const stamp = this.stamp();
    if (auditJson)
      this.fileTaskAudit(task.txn, auditJson, task.deadline + this.audit.maxAgeSeconds);
    this.tasks.set(task.txn, {
      task: { ...task, status: 'open', stamp },
      tokens: new Map([[token.jti, { ...token, stamp }]]),
      revoked: new Set(),
    });
    return stamp;
  }

  async recordToken(token: TokenRecord, auditJson?: string): Promise<number> {
    const e = this.live(token.txn);
    if (!e) throw new StoreRejection('unknown_task');
    if (e.task.status !== 'open') throw new StoreRejection('task_ended');
    if (token.anc.some((j) => e.revoked.has(j))) throw new StoreRejection('revoked');
    const stamp = this.stamp();
    if (auditJson)
      this.fileTaskAudit(token.txn, auditJson, e.task.deadline + this.audit.maxAgeSeconds);
    e.tokens.set(token.jti, { ...token, stamp });
    return stamp;
  }

  async checkToken(txn: string, jti: string, anc: readonly string[]): Promise<TokenState> {
    const e = this.live(txn);
    const t = e?.tokens.get(jti);
    if (!e || !t) return 'unknown';
    if (e.task.status !== 'open') return 'task_ended';
    if (e.revoked.has(jti) || anc.some((j) => e.revoked.has(j))) return 'revoked';
    return 'active';
  }

  async inspectToken(txn: string, jti: string, anc: readonly string[]) {
    const state = await this.checkToken(txn, jti, anc);
    const ctx = state === 'active' ? this.tasks.get(txn)?.tokens.get(jti)?.ctx : undefined;
    return { state, ...(ctx ? { ctx } : {}) };
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

  async revokeToken(txn: string, jti: string): Promise<void> {
    this.live(txn)?.revoked.add(jti);
  }

  async useOnce(namespace: string, id: string, expSeconds: number): Promise<boolean> {
    const k = `${namespace}\u0000${id}`;
    const seen = this.once.get(k);
    if (seen !== undefined && seen > nowSec()) return false;
    this.once.set(k, expSeconds);
    return true;
  }

  async putMark(kind: MarkKind, id: string): Promise<number> {
    const stamp = this.stamp();
    if (kind === 'agent') this.marks.agents.set(id, stamp);
    else if (kind === 'user') this.marks.users.set(id, stamp);
    else this.marks.all = stamp;
    return stamp;
  }

  async loadMarks(): Promise<Marks> {
    return {
      agents: new Map(this.marks.agents),
      users: new Map(this.marks.users),
      all: this.marks.all,
    };
  }

  async publish(event: FeedEvent): Promise<string> {
    const entry = { id: String(++this.feedSeq), event };
    this.feed.push(entry);
    if (this.feed.length > this.feedMaxLength) this.trimmedUpTo = this.feed.shift()!.id;
    this.events.emit('entry', entry);
    return entry.id;
  }

  private trimmedUpTo: string | undefined;

  async feedHorizon(): Promise<string | undefined> {
    return this.trimmedUpTo;
  }

  async readFeed(afterId: string | undefined, limit: number): Promise<FeedEntry[]> {
    const after = afterId === undefined ? 0 : Number(afterId);
    return this.feed.filter((e) => Number(e.id) > after).slice(0, limit);
  }

  async subscribe(onEntry: (e: FeedEntry) => void, onState?: (connected: boolean) => void) {
    this.events.on('entry', onEntry);
    onState?.(true);
    return async () => {
      this.events.off('entry', onEntry);
    };
  }

  private readonly approvals = new Map<string, { rec: ApprovalRecord; lastPoll: number }>();

  private approval(id: string) {
    const a = this.approvals.get(id);
    if (a && a.rec.expiresAt + 3600 <= nowSec()) {
      this.approvals.delete(id);
      return undefined;
    }
    return a;
  }

  async createApproval(rec: ApprovalRecord): Promise<void> {
    this.approvals.set(rec.id, { rec: { ...rec }, lastPoll: 0 });
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const a = this.approval(id);
    return a ? { ...a.rec } : undefined;
  }

  async pollApproval(id: string, nowMs: number) {
    const a = this.approval(id);
    if (!a) return undefined;
    const lastPollMs = a.lastPoll;
    a.lastPoll = nowMs;
    return { record: { ...a.rec }, lastPollMs };
  }

  async decideApproval(
    id: string,
    status: 'approved' | 'denied',
    by: string,
    reason: string | undefined,
    now: number,
  ): Promise<boolean> {
    const a = this.approval(id);
    if (!a || a.rec.status !== 'pending') return false;
    a.rec = { ...a.rec, status, decidedBy: by, decidedAt: now, ...(reason ? { reason } : {}) };
    return true;
  }

  async consumeApproval(id: string): Promise<boolean> {
    const a = this.approval(id);
    if (!a || a.rec.status !== 'approved') return false;
    a.rec = { ...a.rec, status: 'used' };
    return true;
  }

  async listApprovals(now: number): Promise<ApprovalRecord[]> {
    return [...this.approvals.values()]
      .map((a) => a.rec)
      .filter((r) => r.status === 'pending' && r.expiresAt > now)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.events.removeAllListeners();
  }
}
