import { epochSeconds } from '../clock.js';
import type { TaskSummary } from '../protocol/admin-api.js';
import { buildTree, type TreeNode } from '../revocation/tree.js';
import type { MarkCache } from '../revocation/marks.js';
import type { TaskIndexStore, TaskStatus, TaskStore } from '../store/store.js';
import { type TaskRecord, taskCursor } from '../store/types.js';

/** What GET /admin/tasks filters on; every field is optional. */
export interface TaskFilter {
  status?: TaskStatus;
  /** The owner, or any agent holding a token of the task. */
  agent?: string;
  user?: string;
  /** Epoch seconds: tasks started at or after it. */
  since?: number;
  /** Case-insensitive text in the txn, purpose, user or owner. */
  q?: string;
}

export type { TaskSummary };

export interface TaskListDeps {
  store: Pick<TaskIndexStore, 'listTaskIds'> & Pick<TaskStore, 'getTaskTree'>;
  marks: MarkCache;
  issuer: string;
  /** A task lives at most this long: the index is read back that far. */
  maxTaskSeconds: number;
}

const flat = (nodes: TreeNode[]): TreeNode[] => nodes.flatMap((n) => [n, ...flat(n.children)]);

export function summarize(
  task: TaskRecord,
  tokens: TreeNode[],
  issuer: string,
  now = epochSeconds(),
): TaskSummary {
  const all = flat(tokens);
  const live = all.filter((n) => n.state === 'active');
  const holder = live.filter((n) => n.aud === issuer).sort((a, b) => b.stamp - a.stamp)[0];
  return {
    txn: task.txn,
    status: task.status,
    owner: task.owner,
    current_actor: holder?.act[0] ?? task.owner,
    sub: task.sub,
    ...(task.purpose !== undefined ? { purpose: task.purpose } : {}),
    created_at: task.createdAt,
    age_seconds: Math.max(0, now - task.createdAt),
    deadline: task.deadline,
    tokens_live: live.length,
    tokens_total: all.length,
    agents: [...new Set(all.flatMap((n) => n.act))].sort(),
    ...(task.endedBy ? { ended_by: task.endedBy } : {}),
    ...(task.outcome ? { outcome: task.outcome } : {}),
  };
}

function matches(s: TaskSummary, f: TaskFilter): boolean {
  if (f.status && s.status !== f.status) return false;
  if (f.user && s.sub !== f.user) return false;
  if (f.agent && s.owner !== f.agent && !s.agents.includes(f.agent)) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const hay = [s.txn, s.purpose ?? '', s.sub, s.owner].join('\n').toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

/**
 * One page of tasks, newest first. Filters are applied to the index's rows as they are read,
 * at most `scanMax` of them per page, so a page can be short with a `next` to go on from.
 */
export async function listTasks(
  deps: TaskListDeps,
  filter: TaskFilter,
  cursor: string | undefined,
  limit: number,
  scanMax: number,
): Promise<{ tasks: TaskSummary[]; next: string | null; scanned: number }> {
  const now = epochSeconds();
  const since = Math.max(filter.since ?? 0, now - deps.maxTaskSeconds);
  const tasks: TaskSummary[] = [];
  let scanned = 0;
  let at = cursor;
  let next: string | null = null;
  while (tasks.length < limit && scanned < scanMax) {
    const page = await deps.store.listTaskIds(since, at, Math.min(limit, scanMax - scanned));
    const trees = await Promise.all(page.txns.map((t) => deps.store.getTaskTree(t)));
    for (const tree of trees) {
      scanned++;
      if (!tree) continue; // past its deadline: its records are gone
      const summary = summarize(tree.task, buildTree(tree, deps.marks, now), deps.issuer, now);
      if (matches(summary, filter)) tasks.push(summary);
      next = taskCursor(tree.task);
      if (tasks.length === limit) break;
    }
    if (tasks.length === limit && next) break;
    if (!page.next) {
      next = null;
      break;
    }
    at = page.next;
    next = page.next;
  }
  return { tasks, next, scanned };
}
