/** The admin API's answers the console reads (docs/admin-api.md); the shared ones are the protocol's. */
import type { ApprovalView, NodeState, TreeNode } from '../../src/protocol/admin-api.js';

export type { ApprovalView, TaskSummary, TreeNode } from '../../src/protocol/admin-api.js';

export type TokenState = NodeState;

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
