import type { Command } from 'commander';
import type { ApprovalView } from '../../protocol/admin-api.js';
import { seg } from '../admin-client.js';
import { adminClient, globals } from '../globals.js';
import { duration, printJson, printLine, progress, safeText, table } from '../output.js';
import { UsageError } from '../usage.js';

type Approval = ApprovalView;

const MAX_PAGES = 1000;
/** docs/approvals.md: a reason is at most 500 characters (DEFAULTS.approvalReasonMaxLength). */
const REASON_MAX = 500;

/** `baton approvals list|approve|deny`: GET /admin/approvals, POST …/{id}/approve|deny. */
export function registerApprovals(program: Command): void {
  const approvals = program.command('approvals').description('pending approvals: list, decide');

  approvals
    .command('list')
    .description('pending approvals, oldest first, with the exact call each would allow')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const client = adminClient(cmd);
      const all: Approval[] = [];
      let cursor: string | undefined;
      for (let page = 1; page <= MAX_PAGES; page++) {
        const p = await client.get<{ approvals: Approval[]; next: string | null }>(
          '/admin/approvals',
          { cursor, limit: 1000 },
        );
        all.push(...p.approvals);
        if (!p.next) break;
        progress(`read ${all.length} approvals…`, g.json);
        cursor = p.next;
      }
      if (g.json) return printJson({ approvals: all });
      if (all.length === 0) return printLine('no pending approvals');
      const now = Date.now() / 1000;
      printLine(
        table(
          ['ID', 'AGENT', 'USER', 'TOOL', 'SCOPE', 'EXPIRES IN', 'PURPOSE'],
          all.map((a) => [
            a.id,
            a.agent,
            a.sub,
            a.tool,
            a.scope,
            duration(a.expiresAt - now),
            a.purpose ?? '',
          ]),
        ),
      );
      // An approver must see exactly what they approve: the details in full, never cut.
      for (const a of all)
        if (a.authorization_details?.length)
          printLine(
            `${safeText(a.id)} details: ${safeText(JSON.stringify(a.authorization_details))}`,
          );
    });

  const decide =
    (verdict: 'approve' | 'deny') => async (id: string, o: { reason?: string }, cmd: Command) => {
      if (o.reason !== undefined && o.reason.length > REASON_MAX)
        throw new UsageError(`--reason is at most ${REASON_MAX} characters`);
      const r = await adminClient(cmd).post<{ id: string; status: string }>(
        `/admin/approvals/${seg(id)}/${verdict}`,
        o.reason ? { reason: o.reason } : {},
      );
      if (globals(cmd).json) return printJson(r);
      printLine(`${safeText(r.id)}: ${r.status}`);
    };
  const reason = 'why (recorded in the audit trail; up to 500 characters)';
  approvals
    .command('approve <id>')
    .description("approve a pending approval; the agent's next poll gets its token")
    .option('--reason <text>', reason)
    .action(decide('approve'));
  approvals
    .command('deny <id>')
    .description("deny a pending approval; the agent's next poll is refused")
    .option('--reason <text>', reason)
    .action(decide('deny'));
}
