import { epochSeconds } from '../../clock.js';
import type { ApprovalStore } from '../store.js';
import { APPROVAL_KEPT_AFTER_EXPIRY_SECONDS, type ApprovalRecord } from '../types.js';

/** Approvals by id, each with the time of its last poll. */
export class MemoryApprovals implements ApprovalStore {
  private readonly approvals = new Map<string, { rec: ApprovalRecord; lastPoll: number }>();

  private held(id: string) {
    const a = this.approvals.get(id);
    if (a && a.rec.expiresAt + APPROVAL_KEPT_AFTER_EXPIRY_SECONDS <= epochSeconds()) {
      this.approvals.delete(id);
      return undefined;
    }
    return a;
  }

  async createApproval(rec: ApprovalRecord): Promise<void> {
    this.approvals.set(rec.id, { rec: { ...rec }, lastPoll: 0 });
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
    return true;
  }

  async consumeApproval(id: string): Promise<boolean> {
    const a = this.held(id);
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
}
