/** The admin API's answers the console reads (docs/admin-api.md); the shared ones are the protocol's. */
import type { ApprovalView } from '../../src/protocol/admin-api.js';

export type { ApprovalView, TaskSummary } from '../../src/protocol/admin-api.js';

export type TokenState = 'active' | 'expired' | 'revoked' | 'task_ended';

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
  state: TokenState;
  children: TreeNode[];
}

export interface TaskTree {
  task: {
    txn: string;
    owner: string;
    sub: string;
    purpose?: string;
    status: string;
    deadline: number;
    createdAt: number;
  };
  tokens: TreeNode[];
}

export interface AuditEvent {
  id: string;
  type: string;
  time: number;
  act?: string[];
  client?: string;
  sub?: string;
  decision: string;
  rule?: string;
  error?: string;
  reason?: string;
  admin?: { name: string; role: string };
  detail?: Record<string, unknown>;
}

export type Approval = ApprovalView;

export interface Overview {
  tasks_live: number;
  pending_approvals: number;
  pending_approvals_more: boolean;
  tokens_issued_per_minute: number;
  refusals_per_minute: number;
}
