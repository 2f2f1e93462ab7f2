import type { AuditLog } from '../audit/log.js';
import { epochSeconds } from '../clock.js';
import { InvalidRequest, NotFound } from '../errors.js';
import type { ApprovalRecord, ApprovalStore } from '../store/store.js';

/** An approval as an admin sees it: everything but the binding hash. */
export type ShownApproval = Omit<ApprovalRecord, 'binding'>;

const shown = ({ binding: _b, ...rest }: ApprovalRecord): ShownApproval => rest;

/** One page of the pending approvals, oldest first; `next` is the cursor of the following page. */
export async function listPendingApprovals(
  deps: { store: Pick<ApprovalStore, 'listApprovals'> },
  cursor: string | undefined,
  limit: number,
): Promise<{ approvals: ShownApproval[]; next: string | null }> {
  const page = await deps.store.listApprovals(epochSeconds(), cursor, limit);
  return { approvals: page.approvals.map(shown), next: page.next ?? null };
}

export async function showApproval(
  deps: { store: Pick<ApprovalStore, 'getApproval'> },
  id: string,
): Promise<ShownApproval> {
  const rec = await deps.store.getApproval(id);
  if (!rec) throw new NotFound('no such approval');
  return shown(rec);
}

export interface DecisionDeps {
  store: Pick<ApprovalStore, 'getApproval' | 'decideApproval'>;
  audit: Pick<AuditLog, 'emit'>;
}

/** A person's decision on a pending approval, once; it is an audit event of the task. */
export async function decidePendingApproval(
  deps: DecisionDeps,
  id: string,
  verdict: 'approve' | 'deny',
  reason: string | undefined,
): Promise<{ id: string; status: 'approved' | 'denied'; reason?: string }> {
  const now = epochSeconds();
  const rec = await deps.store.getApproval(id);
  if (!rec) throw new NotFound('no such approval');
  if (rec.expiresAt <= now) throw new InvalidRequest('this approval request has lapsed');
  const status = verdict === 'approve' ? 'approved' : 'denied';
  if (!(await deps.store.decideApproval(id, status, 'admin', reason, now)))
    throw new InvalidRequest(`this approval was already decided (${rec.status})`);
  deps.audit.emit({
    type: 'approval_decided',
    txn: rec.txn,
    act: rec.act,
    sub: rec.sub,
    client: 'admin',
    decision: status === 'approved' ? 'allow' : 'deny',
    detail: {
      approval_id: id,
      tool: rec.tool,
      scope: rec.scope,
      ...(reason ? { reason } : {}),
    },
  });
  return { id, status, ...(reason ? { reason } : {}) };
}
