import { epochSeconds } from '../clock.js';
import type { ApprovalStore, TaskIndexStore } from '../store/store.js';
import type { AdminActivity } from './activity.js';

export interface Overview {
  tasks_live: number;
  pending_approvals: number;
  /** True when there are more pending approvals than were counted. */
  pending_approvals_more: boolean;
  tokens_issued_per_minute: number;
  refusals_per_minute: number;
}

/**
 * The console's header, from what is already recorded: open tasks counted in the task index
 * (one ZCOUNT per index key), pending approvals from their list (bounded), and the last
 * minute's tokens issued and refusals from the audit streams the activity tails.
 */
export async function readOverview(
  deps: {
    store: Pick<TaskIndexStore, 'countOpenTasks'> & Pick<ApprovalStore, 'listApprovals'>;
    activity: AdminActivity;
    maxTaskSeconds: number;
  },
  approvalsMax: number,
): Promise<Overview> {
  const now = epochSeconds();
  const [tasks, pending] = await Promise.all([
    deps.store.countOpenTasks(now - deps.maxTaskSeconds),
    deps.store.listApprovals(now, undefined, approvalsMax),
    deps.activity.start(),
  ]);
  const rates = deps.activity.lastMinute();
  return {
    tasks_live: tasks,
    pending_approvals: pending.approvals.length,
    pending_approvals_more: pending.next !== undefined,
    tokens_issued_per_minute: rates.tokens_issued,
    refusals_per_minute: rates.refusals,
  };
}
