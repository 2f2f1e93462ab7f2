/**
 * The admin API's answers (docs/admin-api.md) that the server builds and the console and the
 * `baton` CLI read: one definition, so the three agree on every field.
 */

export type TaskStatus = 'open' | 'completed' | 'revoked';

/** One task as a list row: who, for whom, why, how old, how many live tokens. */
export interface TaskSummary {
  txn: string;
  status: TaskStatus;
  owner: string;
  /** The outermost actor of the newest live task token: who holds the task now. */
  current_actor: string;
  sub: string;
  purpose?: string;
  created_at: number;
  age_seconds: number;
  deadline: number;
  tokens_live: number;
  tokens_total: number;
  agents: string[];
  ended_by?: string;
  outcome?: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'used';

/** A pending or decided approval as the admin API lists it: the exact bound call, who, why. */
export interface ApprovalView {
  id: string;
  txn: string;
  agent: string;
  sub: string;
  act: string[];
  purpose?: string;
  tool: string;
  scope: string;
  authorization_details?: unknown[];
  status: ApprovalStatus;
  /** Epoch seconds. */
  createdAt: number;
  expiresAt: number;
}

/** A token's state in a task's delegation tree (`GET /admin/tasks/{txn}`). */
export type NodeState = 'active' | 'expired' | 'revoked' | 'task_ended';

/** One token of the delegation tree, its children the tokens derived from it. */
export interface TreeNode {
  jti: string;
  parent: string | null;
  client_id: string;
  act: string[];
  aud: string;
  scope: string;
  iat: number;
  exp: number;
  stamp: number;
  state: NodeState;
  children: TreeNode[];
}
