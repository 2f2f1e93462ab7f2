import type { MarkCache } from '../revocation/marks.js';
import { listTasks, type TaskListDeps } from './task-list.js';

/** An agent as the admin sees it: its open tasks and its revocation mark, if any. */
export interface AgentSummary {
  id: string;
  /** Open tasks it owns, and open tasks in which it holds a live token. */
  tasks_owned: number;
  tasks_live: number;
  /** Store stamp (µs) of its revocation mark: every token it held before that is dead. */
  revoked_before: number | null;
}

/**
 * The configured agents with their live task counts, read from the task index (open tasks, at
 * most `scanMax`; `complete` is false when there were more) and their marks held in process.
 */
export async function listAgents(
  deps: TaskListDeps & { marks: MarkCache },
  agentIds: readonly string[],
  scanMax: number,
): Promise<{ agents: AgentSummary[]; kill_switch_before: number | null; complete: boolean }> {
  const owned = new Map<string, number>();
  const live = new Map<string, number>();
  let cursor: string | undefined;
  let seen = 0;
  let complete = true;
  do {
    const page = await listTasks(deps, { status: 'open' }, cursor, 500, scanMax - seen);
    seen += page.scanned;
    for (const t of page.tasks) {
      owned.set(t.owner, (owned.get(t.owner) ?? 0) + 1);
      if (t.tokens_live > 0) for (const a of t.agents) live.set(a, (live.get(a) ?? 0) + 1);
    }
    cursor = page.next ?? undefined;
    if (cursor && seen >= scanMax) complete = false;
  } while (cursor && seen < scanMax);
  const marks = deps.marks.snapshot();
  return {
    agents: agentIds.map((id) => ({
      id,
      tasks_owned: owned.get(id) ?? 0,
      tasks_live: live.get(id) ?? 0,
      revoked_before: marks.agents.get(id) ?? null,
    })),
    kill_switch_before: marks.all || null,
    complete,
  };
}
