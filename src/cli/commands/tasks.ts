import type { Command } from 'commander';
import { seg } from '../admin-client.js';
import { adminClient, globals } from '../globals.js';
import { duration, isoTime, printJson, printLine, progress, safeText, table } from '../output.js';
import { positive, sinceEpoch, UsageError } from '../usage.js';

/** A task as GET /admin/tasks lists it (src/admin/task-list.ts). */
interface TaskSummary {
  txn: string;
  status: string;
  owner: string;
  current_actor: string;
  sub: string;
  purpose?: string;
  age_seconds: number;
  deadline: number;
  tokens_live: number;
  tokens_total: number;
}
interface TaskPage {
  tasks: TaskSummary[];
  next: string | null;
}
interface TreeNode {
  jti: string;
  client_id: string;
  aud: string | string[];
  scope: string;
  exp: number;
  state: string;
  children: TreeNode[];
}

const STATUSES = ['open', 'completed', 'revoked'];
/** Pages followed by `--all` at most (a runaway loop would otherwise read forever). */
const MAX_PAGES = 1000;

function treeLines(nodes: TreeNode[], depth = 0, out: string[] = []): string[] {
  for (const n of nodes) {
    const aud = Array.isArray(n.aud) ? n.aud.join(',') : n.aud;
    out.push(
      `${'  '.repeat(depth)}- ${safeText(n.client_id)} → ${safeText(aud)} [${safeText(n.scope)}] ${n.state} (jti ${safeText(n.jti)})`,
    );
    treeLines(n.children ?? [], depth + 1, out);
  }
  return out;
}

/** `baton tasks list|show|revoke` over GET /admin/tasks, GET /admin/tasks/{txn}, POST …/revoke. */
export function registerTasks(program: Command): void {
  const tasks = program
    .command('tasks')
    .description('tasks: list, show one with its token tree, revoke');

  tasks
    .command('list')
    .description('tasks, newest first; filter with --status, --agent, --user, --since')
    .option('--status <status>', 'open | completed | revoked')
    .option('--agent <id>', 'tasks an agent owns or acted in')
    .option('--user <sub>', "tasks for one user's sub")
    .option('--since <when>', 'started since: epoch seconds or a duration (15m, 2h, 1d)')
    .option('--limit <n>', 'tasks per page (1-1000)', '100')
    .option('--cursor <next>', 'start after a previous page (its "next")')
    .option('--all', 'follow every page')
    .action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const g = globals(cmd);
      if (o.status !== undefined && !STATUSES.includes(String(o.status)))
        throw new UsageError(`--status must be open, completed or revoked (got "${o.status}")`);
      const client = adminClient(cmd);
      const query = {
        status: o.status as string | undefined,
        agent: o.agent as string | undefined,
        user: o.user as string | undefined,
        since: o.since ? sinceEpoch(String(o.since)) : undefined,
        limit: positive('--limit', String(o.limit), 1000),
      };
      let cursor = o.cursor as string | undefined;
      const all: TaskSummary[] = [];
      let next: string | null = null;
      for (let page = 1; page <= MAX_PAGES; page++) {
        const p = await client.get<TaskPage>('/admin/tasks', { ...query, cursor });
        all.push(...p.tasks);
        next = p.next;
        if (!o.all || !next) break;
        progress(`read ${all.length} tasks…`, g.json);
        cursor = next;
      }
      if (g.json) return printJson({ tasks: all, next });
      if (all.length === 0) return printLine('no tasks');
      printLine(
        table(
          ['TXN', 'STATUS', 'OWNER', 'ACTOR', 'USER', 'AGE', 'LIVE', 'PURPOSE'],
          all.map((t) => [
            t.txn,
            t.status,
            t.owner,
            t.current_actor,
            t.sub,
            duration(t.age_seconds),
            `${t.tokens_live}/${t.tokens_total}`,
            t.purpose ?? '',
          ]),
        ),
      );
      if (next && !o.all) printLine(`more: --cursor ${next} (or --all)`);
    });

  tasks
    .command('show <txn>')
    .description('one task: its record and its tokens as a delegation tree')
    .action(async (txn: string, _o: unknown, cmd: Command) => {
      const tree = await adminClient(cmd).get<{
        task: Record<string, unknown>;
        tokens: TreeNode[];
        revoked: string[];
      }>(`/admin/tasks/${seg(txn)}`);
      if (globals(cmd).json) return printJson(tree);
      const t = tree.task;
      const lines = [
        `task     ${safeText(t.txn ?? txn)}`,
        `status   ${safeText(t.status)}`,
        `user     ${safeText(t.sub)}`,
        `owner    ${safeText(t.owner)}`,
        `purpose  ${safeText(t.purpose)}`,
        `deadline ${isoTime(t.deadline as number | undefined)}`,
        'tokens:',
        ...treeLines(tree.tokens),
      ];
      printLine(lines.join('\n'));
    });

  tasks
    .command('revoke <txn>')
    .description('end a task: every token of it stops working at once')
    .action(async (txn: string, _o: unknown, cmd: Command) => {
      const r = await adminClient(cmd).post<{
        status: string;
        tokens_ended: number;
        already_ended: boolean;
      }>(`/admin/tasks/${seg(txn)}/revoke`);
      if (globals(cmd).json) return printJson(r);
      printLine(
        r.already_ended
          ? `task ${safeText(txn)} had already ended (${r.status}); nothing changed`
          : `revoked task ${safeText(txn)}: ${r.tokens_ended} tokens ended`,
      );
    });
}
