import type { ApprovalStore } from '../store.js';
import {
  APPROVAL_KEPT_AFTER_EXPIRY_SECONDS,
  type ApprovalBounds,
  type ApprovalPage,
  type ApprovalRecord,
  type OpenedApproval,
  pendingPosition,
} from '../types.js';
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

/** Approvals: one hash each under its task's hash tag, indexed as approval-scripts.ts says. */
export class RedisApprovals implements ApprovalStore {
  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
  ) {}

  openApproval(
    rec: ApprovalRecord,
    bounds: ApprovalBounds,
    nowSec: number,
  ): Promise<OpenedApproval> {
    const { status, decidedBy, decidedAt, reason, ...fixed } = rec;
    const keepUntil = rec.expiresAt + APPROVAL_KEPT_AFTER_EXPIRY_SECONDS;
    const taskKeys = [
      this.k.approval(rec.id),
      this.k.taskApprovals(rec.txn),
      this.k.taskBindings(rec.txn),
    ] as const;
    return guarded(async () => {
      const [opened, info] = await this.client.batonOpenApproval(
        ...taskKeys,
        rec.id,
        JSON.stringify(fixed),
        status,
        keepUntil,
        rec.expiresAt,
        nowSec,
        bounds.perTask,
        rec.binding,
      );
      if (opened === 0)
        return { kind: 'refused', bound: 'task', retryAfter: Math.max(1, Number(info)) };
      if (opened === 2) {
        const record = await this.getApproval(String(info));
        if (record) return { kind: 'existing', record };
        // Indexed but gone (evicted under memory pressure): unindex it and open afresh.
        await this.client.batonUndoApproval(
          this.k.approval(String(info)),
          taskKeys[1],
          taskKeys[2],
          String(info),
          rec.binding,
        );
        return this.openApproval(rec, bounds, nowSec);
      }
      const listed = await this.client.batonReserveAgentApproval(
        this.k.agentApprovals(rec.agent),
        this.k.pendingApprovals(),
        nowSec,
        bounds.perAgent,
        rec.id,
        rec.expiresAt,
        pendingPosition(rec),
        keepUntil,
      );
      if (listed !== 1) {
        await this.client.batonUndoApproval(...taskKeys, rec.id, rec.binding);
        return { kind: 'refused', bound: 'agent', retryAfter: Math.max(1, -listed) };
      }
      return { kind: 'created', record: { ...rec } };
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
    const txn = id.slice(0, id.lastIndexOf('.'));
    return guarded(async () => {
      const fixed = await this.client.batonDecideApproval(
        this.k.approval(id),
        this.k.taskApprovals(txn),
        id,
        status,
        by,
        reason ?? '',
        nowSec,
      );
      if (typeof fixed !== 'string') return false;
      const rec = JSON.parse(fixed) as Pick<ApprovalRecord, 'agent' | 'expiresAt'>;
      await Promise.all([
        this.client.zrem(this.k.agentApprovals(rec.agent), id),
        this.client.zrem(
          this.k.pendingApprovals(),
          pendingPosition({ id, expiresAt: rec.expiresAt }),
        ),
      ]);
      return true;
    });
  }

  consumeApproval(id: string): Promise<boolean> {
    return guarded(async () => (await this.client.batonConsumeApproval(this.k.approval(id))) === 1);
  }

  listApprovals(nowSec: number, cursor: string | undefined, limit: number): Promise<ApprovalPage> {
    const list = this.k.pendingApprovals();
    // Positions start with the zero-padded expiry: everything before `now + 1` has lapsed.
    const lapsed = `(${String(nowSec + 1).padStart(12, '0')}`;
    const from = cursor ? `(${Buffer.from(cursor, 'base64url').toString()}` : '-';
    return guarded(async () => {
      await this.client.zremrangebylex(list, '-', lapsed);
      const positions = await this.client.zrangebylex(list, from, '+', 'LIMIT', 0, limit);
      const recs = await Promise.all(
        positions.map((p) => this.getApproval(p.slice(p.indexOf('|') + 1))),
      );
      const last = positions[positions.length - 1];
      return {
        approvals: recs.filter(
          (r): r is ApprovalRecord => r?.status === 'pending' && r.expiresAt > nowSec,
        ),
        ...(positions.length === limit && last
          ? { next: Buffer.from(last).toString('base64url') }
          : {}),
      };
    });
  }
}
