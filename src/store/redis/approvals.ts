import type { ApprovalStore } from '../store.js';
import { APPROVAL_KEPT_AFTER_EXPIRY_SECONDS, type ApprovalRecord } from '../types.js';
import { guarded, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

/** HMGET rec, status, lastPoll, decidedBy, reason, decidedAt -> record. */
function decodeApproval(v: (string | null)[]): ApprovalRecord {
  const [rec, status, , decidedBy, reason, decidedAt] = v;
  return {
    ...(JSON.parse(rec!) as Omit<ApprovalRecord, 'status'>),
    status: status as ApprovalRecord['status'],
    ...(decidedBy ? { decidedBy } : {}),
    ...(reason ? { reason } : {}),
    ...(decidedAt ? { decidedAt: Number(decidedAt) } : {}),
  };
}

/** Approvals: one hash each under its task's hash tag, and a sorted set of the pending ones. */
export class RedisApprovals implements ApprovalStore {
  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
  ) {}

  createApproval(rec: ApprovalRecord): Promise<void> {
    const { status, decidedBy, decidedAt, reason, ...fixed } = rec;
    const key = this.k.approval(rec.id);
    return guarded(async () => {
      await this.client
        .multi()
        .hset(key, 'rec', JSON.stringify(fixed), 'status', status)
        .expireat(key, rec.expiresAt + APPROVAL_KEPT_AFTER_EXPIRY_SECONDS)
        .exec();
      await this.client.zadd(this.k.approvals(), rec.expiresAt, rec.id);
    });
  }

  getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return guarded(async () => {
      const v = await this.client.hmget(
        this.k.approval(id),
        'rec',
        'status',
        'lastPoll',
        'decidedBy',
        'reason',
        'decidedAt',
      );
      return v[0] ? decodeApproval(v) : undefined;
    });
  }

  pollApproval(id: string, nowMs: number) {
    return guarded(async () => {
      const v = await this.client.batonPollApproval(this.k.approval(id), nowMs);
      return v ? { record: decodeApproval(v), lastPollMs: Number(v[2] ?? 0) } : undefined;
    });
  }

  decideApproval(
    id: string,
    status: 'approved' | 'denied',
    by: string,
    reason: string | undefined,
    nowSec: number,
  ): Promise<boolean> {
    return guarded(async () => {
      const ok =
        (await this.client.batonDecideApproval(
          this.k.approval(id),
          status,
          by,
          reason ?? '',
          nowSec,
        )) === 1;
      if (ok) await this.client.zrem(this.k.approvals(), id);
      return ok;
    });
  }

  consumeApproval(id: string): Promise<boolean> {
    return guarded(async () => (await this.client.batonConsumeApproval(this.k.approval(id))) === 1);
  }

  listApprovals(nowSec: number): Promise<ApprovalRecord[]> {
    return guarded(async () => {
      await this.client.zremrangebyscore(this.k.approvals(), '-inf', nowSec);
      const ids = await this.client.zrange(this.k.approvals(), 0, 999);
      const recs = await Promise.all(ids.map((id) => this.getApproval(id)));
      return recs
        .filter((r): r is ApprovalRecord => r?.status === 'pending' && r.expiresAt > nowSec)
        .sort((a, b) => a.createdAt - b.createdAt);
    });
  }
}
