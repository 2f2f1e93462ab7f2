/**
 * Lineage audit events (docs/audit.md). One event per decision, each with the task, the full
 * actor chain and the rule behind it. Intent (task_started with its purpose), each delegated
 * action (token_issued) and the outcome (task_completed) are separate events, so a task reads
 * back as one story. Events never carry a token, secret or client assertion: ids only.
 */
export type AuditType =
  | 'task_started'
  | 'task_renewed'
  | 'token_issued'
  | 'exchange_refused'
  | 'hand_off_offered'
  | 'approval_requested'
  | 'approval_decided'
  | 'introspection_refused'
  | 'refusals_suppressed'
  | 'token_revoked'
  | 'task_revoked'
  | 'agent_revoked'
  | 'user_revoked'
  | 'all_revoked'
  | 'admin_signed_in'
  | 'admin_signed_out'
  | 'admin_sign_in_refused'
  | 'task_completed';

/**
 * Others' refusals: filed apart from a task's decisions (bounded on their own, so no volume of
 * them evicts `task_started`, `token_issued`, revocations or the outcome), and aggregated per
 * client when they repeat (`refusals_suppressed` carries the exact count of those not filed).
 */
export const REFUSAL_TYPES: ReadonlySet<AuditType> = new Set<AuditType>([
  'exchange_refused',
  'introspection_refused',
  'refusals_suppressed',
  'admin_sign_in_refused',
]);

export interface AuditEvent {
  type: AuditType;
  /** Epoch milliseconds. */
  time: number;
  txn?: string;
  /** Actor chain, outermost (current actor) first. */
  act?: string[];
  /** The authenticated client that caused it (or `admin`). */
  client?: string;
  sub?: string;
  /** What was decided, and the rule (config path or Cedar policy id) that decided it. */
  decision: 'allow' | 'deny' | 'pending' | 'done';
  rule?: string;
  /** For refusals: the RFC error code and its description. */
  error?: string;
  reason?: string;
  /** The admin whose action this is (src/audit/admin-actor.ts), and the role they acted in. */
  admin?: { name: string; role: string };
  /** Operation-specific facts: jti, tool, scope, ttl, purpose, outcome, authorization_details... */
  detail?: Record<string, unknown>;
}

export interface StoredAuditEvent extends AuditEvent {
  /** Cursor of the stream it was read from (task stream or global stream). */
  id: string;
}
