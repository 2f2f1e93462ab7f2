import { createHash, randomBytes } from 'node:crypto';
import {
  AccessDenied,
  AuthorizationPending,
  ExpiredToken,
  InvalidRequest,
  SlowDown,
} from '../errors.js';
import type { BatonContext } from '../context.js';
import type { ApprovalStore } from '../store/store.js';

/** What the approval flow uses: config, audit, the webhook's key and log, approval storage. */
export type ApprovalDeps = Pick<BatonContext, 'config' | 'audit' | 'keys' | 'log'> & {
  store: ApprovalStore;
};
import { orUnavailable, type ApprovalRecord } from '../store/store.js';
import { notifyWebhook } from './webhook.js';
import { epochSeconds } from '../clock.js';

/** Everything one approval is bound to: it authorizes this call and no other. */
export interface ApprovalBinding {
  txn: string;
  agent: string;
  tool: string;
  scope: string;
  authorization_details?: unknown[];
}

export interface ApprovalContext {
  sub: string;
  act: string[];
  purpose?: string;
}

export function bindingHash(b: ApprovalBinding): string {
  const canonical = JSON.stringify([
    b.txn,
    b.agent,
    b.tool,
    b.scope.split(' ').sort().join(' '),
    b.authorization_details ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

const stored = <T>(op: () => Promise<T>): Promise<T> => orUnavailable(op, 'try again');

/**
 * Human approval for a sensitive call, in the shape of RFC 8628 / CIBA polling: the first
 * request creates a pending approval and answers `authorization_pending` with its id and
 * `interval`; the agent repeats the same request with `approval_id` until a person decides.
 * Returns when the approval is granted and consumed (single use); throws otherwise.
 */
export async function requireApproval(
  ctx: ApprovalDeps,
  binding: ApprovalBinding,
  about: ApprovalContext,
  approvalId: string | undefined,
): Promise<void> {
  const { intervalSeconds, ttlSeconds } = ctx.config.approvals;
  const now = epochSeconds();
  if (approvalId === undefined) {
    const record: ApprovalRecord = {
      id: `${binding.txn}.${randomBytes(12).toString('base64url')}`,
      ...binding,
      sub: about.sub,
      act: about.act,
      ...(about.purpose ? { purpose: about.purpose } : {}),
      binding: bindingHash(binding),
      status: 'pending',
      createdAt: now,
      expiresAt: now + ttlSeconds,
    };
    await stored(() => ctx.store.createApproval(record));
    ctx.audit.emit({
      type: 'approval_requested',
      txn: binding.txn,
      act: about.act,
      sub: about.sub,
      client: binding.agent,
      decision: 'pending',
      detail: { approval_id: record.id, tool: binding.tool, scope: binding.scope },
    });
    void notifyWebhook(ctx, record);
    throw new AuthorizationPending(
      "this call needs a person's approval; repeat the request with approval_id",
      { extra: { approval_id: record.id, interval: intervalSeconds, expires_in: ttlSeconds } },
    );
  }
  if (!approvalId.startsWith(`${binding.txn}.`))
    throw new InvalidRequest('approval_id does not belong to this task');
  // Check the binding before noting the poll: a mismatched caller must not push the real one into slow_down.
  const bound = await stored(() => ctx.store.getApproval(approvalId));
  if (!bound) throw new InvalidRequest('approval_id is unknown');
  if (bound.binding !== bindingHash(binding))
    throw new InvalidRequest(
      'approval_id was granted for a different call (agent, tool, scope or authorization_details differ)',
    );
  const polled = await stored(() => ctx.store.pollApproval(approvalId, Date.now()));
  if (!polled) throw new InvalidRequest('approval_id is unknown');
  const { record, lastPollMs } = polled;
  if (record.status === 'used')
    throw new InvalidRequest('approval_id has already been used; an approval is good for one call');
  if (record.status === 'denied')
    throw new AccessDenied(
      `the approver denied this call${record.reason ? `: ${record.reason}` : ''}`,
    );
  if (record.expiresAt <= now)
    throw new ExpiredToken('the approval request has lapsed; start a new one');
  if (record.status === 'pending') {
    if (lastPollMs && Date.now() - lastPollMs < intervalSeconds * 1000)
      throw new SlowDown(`poll no faster than every ${intervalSeconds} s`);
    throw new AuthorizationPending('still waiting for a person to decide', {
      extra: {
        approval_id: approvalId,
        interval: intervalSeconds,
        expires_in: record.expiresAt - now,
      },
    });
  }
  if (!(await stored(() => ctx.store.consumeApproval(approvalId))))
    throw new InvalidRequest('approval_id has already been used; an approval is good for one call');
}
