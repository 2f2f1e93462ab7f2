import { epochSeconds } from '../../clock.js';
import type { ApprovalStore } from '../store.js';
import {
  APPROVAL_KEPT_AFTER_EXPIRY_SECONDS,
  type ApprovalBounds,
  type ApprovalPage,
  type ApprovalRecord,
  type OpenedApproval,
  pendingPosition,
} from '../types.js';

const isPending = (r: ApprovalRecord, now: number) => r.status === 'pending' && r.expiresAt > now;

/**
 * Approvals by id, each with the time of its last poll; the pending ones indexed by binding,
 * task and agent (so opening one is idempotent and bounded), kept in list order.
 */
export class MemoryApprovals implements ApprovalStore {
  private readonly approvals = new Map<string, { rec: ApprovalRecord; lastPoll: number }>();
  private readonly byBinding = new Map<string, string>();
  private readonly byTask = new Map<string, Set<string>>();
  private readonly byAgent = new Map<string, Set<string>>();

  private held(id: string) {
    const a = this.approvals.get(id);
    if (a && a.rec.expiresAt + APPROVAL_KEPT_AFTER_EXPIRY_SECONDS <= epochSeconds()) {
      this.drop(id);
      return undefined;
    }
    return a;
  }

  private drop(id: string): void {
    const a = this.approvals.get(id);
    if (!a) return;
    this.approvals.delete(id);
    this.unindex(a.rec);
  }

  private unindex(rec: ApprovalRecord): void {
    if (this.byBinding.get(rec.binding) === rec.id) this.byBinding.delete(rec.binding);
    for (const [index, key] of [
      [this.byTask, rec.txn],
      [this.byAgent, rec.agent],
    ] as const) {
      const ids = index.get(key);
      ids?.delete(rec.id);
      if (ids?.size === 0) index.delete(key);
    }
  }

  /** The pending ids of one task or agent, lapsed ones pruned; seconds until the first lapses. */
  private pendingIn(index: Map<string, Set<string>>, key: string, now: number) {
    const ids = index.get(key) ?? new Set<string>();
    let firstLapse = Infinity;
    for (const id of ids) {
      const r = this.approvals.get(id)?.rec;
      if (!r || !isPending(r, now)) ids.delete(id);
      else firstLapse = Math.min(firstLapse, r.expiresAt);
    }
    return { count: ids.size, retryAfter: Math.max(1, firstLapse - now) };
  }

  async openApproval(
    rec: ApprovalRecord,
    bounds: ApprovalBounds,
    now: number,
  ): Promise<OpenedApproval> {
    const prev = this.byBinding.get(rec.binding);
    const found = prev === undefined ? undefined : this.held(prev)?.rec;
    if (found && isPending(found, now)) return { kind: 'existing', record: { ...found } };
    const task = this.pendingIn(this.byTask, rec.txn, now);
    if (task.count >= bounds.perTask)
      return { kind: 'refused', bound: 'task', retryAfter: task.retryAfter };
    const agent = this.pendingIn(this.byAgent, rec.agent, now);
    if (agent.count >= bounds.perAgent)
      return { kind: 'refused', bound: 'agent', retryAfter: agent.retryAfter };
    this.approvals.set(rec.id, { rec: { ...rec }, lastPoll: 0 });
    this.byBinding.set(rec.binding, rec.id);
    for (const [index, key] of [
      [this.byTask, rec.txn],
      [this.byAgent, rec.agent],
    ] as const) {
      const ids = index.get(key) ?? new Set<string>();
      ids.add(rec.id);
      index.set(key, ids);
    }
    return { kind: 'created', record: { ...rec } };
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const a = this.held(id);
    return a ? { ...a.rec } : undefined;
  }

  async pollApproval(id: string, nowMs: number) {
    const a = this.held(id);
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
    const a = this.held(id);
    if (!a || a.rec.status !== 'pending') return false;
    a.rec = { ...a.rec, status, decidedBy: by, decidedAt: now, ...(reason ? { reason } : {}) };
    this.unindex(a.rec);
    return true;
  }

  async consumeApproval(id: string): Promise<boolean> {
    const a = this.held(id);
    if (!a || a.rec.status !== 'approved') return false;
    a.rec = { ...a.rec, status: 'used' };
    return true;
  }

  async listApprovals(
    now: number,
    cursor: string | undefined,
    limit: number,
  ): Promise<ApprovalPage> {
    const after = cursor === undefined ? '' : Buffer.from(cursor, 'base64url').toString();
    const page = [...this.approvals.values()]
      .map((a) => a.rec)
      .filter((r) => isPending(r, now) && pendingPosition(r) > after)
      .sort((a, b) => (pendingPosition(a) < pendingPosition(b) ? -1 : 1))
      .slice(0, limit);
    const last = page[page.length - 1];
    return {
      approvals: page.map((r) => ({ ...r })),
      ...(page.length === limit && last
        ? { next: Buffer.from(pendingPosition(last)).toString('base64url') }
        : {}),
    };
  }

  /** Drops approvals kept past their expiry (a late poll no longer needs them). */
  sweep(now: number): void {
    for (const [id, a] of this.approvals)
      if (a.rec.expiresAt + APPROVAL_KEPT_AFTER_EXPIRY_SECONDS <= now) this.drop(id);
  }

  /** How many approvals are held, lapsed ones included until swept (for tests and metrics). */
  get size(): number {
    return this.approvals.size;
  }
}
