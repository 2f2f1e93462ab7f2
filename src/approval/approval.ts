import { randomBytes } from 'node:crypto';
import {
  AccessDenied,
  AuthorizationPending,
  ExpiredToken,
  InvalidRequest,
  SlowDown,
  TemporarilyUnavailable,
} from '../errors.js';
import type { AuditLog } from '../audit/log.js';
import type { Config } from '../config/schema.js';
import { type ApprovalBinding, bindingHash } from '../protocol/binding.js';
import { orUnavailable, type ApprovalRecord, type ApprovalStore } from '../store/store.js';
import { notifyWebhook, type WebhookDeps } from './webhook.js';
import { epochSeconds } from '../clock.js';

export type { ApprovalBinding } from '../protocol/binding.js';
export { bindingHash } from '../protocol/binding.js';

export interface ApprovalContext {
  sub: string;
  act: string[];
  purpose?: string;
}

/** What approvals need: their store, the approval settings, the audit trail and the webhook's. */
export interface ApprovalDeps extends WebhookDeps {
  config: WebhookDeps['config'] & Pick<Config, 'approvals'>;
  store: ApprovalStore;
  audit: Pick<AuditLog, 'emit'>;
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
  const { intervalSeconds, ttlSeconds, maxPendingPerTask, maxPendingPerAgent } =
    ctx.config.approvals;
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
    const opened = await stored(() =>
      ctx.store.openApproval(
        record,
        { perTask: maxPendingPerTask, perAgent: maxPendingPerAgent },
        now,
      ),
    );
    if (opened.kind === 'refused')
      // Like a rate limit (RFC 6585 §4): the agent may try again once one is decided or lapses.
      throw new TemporarilyUnavailable(
        opened.bound === 'task'
          ? `this task already has ${maxPendingPerTask} approvals pending; wait for a decision`
          : `agent ${binding.agent} already has ${maxPendingPerAgent} approvals pending; wait for a decision`,
        { status: 429, headers: { 'Retry-After': String(opened.retryAfter) } },
      );
    const pending = opened.record;
    // The same call asked again: the same approval, so a person decides it once (no new event).
    if (opened.kind === 'created') {
      ctx.audit.emit({
        type: 'approval_requested',
        txn: binding.txn,
        act: about.act,
        sub: about.sub,
        client: binding.agent,
        decision: 'pending',
        detail: { approval_id: pending.id, tool: binding.tool, scope: binding.scope },
      });
      void notifyWebhook(ctx, pending);
    }
    throw new AuthorizationPending(
      "this call needs a person's approval; repeat the request with approval_id",
      {
        extra: {
          approval_id: pending.id,
          interval: intervalSeconds,
          expires_in: pending.expiresAt - now,
        },
      },
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
