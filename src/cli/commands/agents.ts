import type { Command } from 'commander';
import { seg } from '../admin-client.js';
import { adminClient, globals } from '../globals.js';
import { isoTime, printJson, printLine, progress, safeText, table } from '../output.js';

interface AgentsPage {
  agents: { id: string; tasks_owned: number; tasks_live: number; revoked_before: number | null }[];
  kill_switch_before: number | null;
  complete: boolean;
}

/** `baton agents list|revoke` and `baton users revoke`: GET /admin/agents, POST …/revoke. */
export function registerAgents(program: Command): void {
  const agents = program.command('agents').description('configured agents: live tasks, revoke');

  agents
    .command('list')
    .description('every configured agent with its tasks and revocation mark')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await adminClient(cmd).get<AgentsPage>('/admin/agents');
      if (globals(cmd).json) return printJson(r);
      printLine(
        table(
          ['AGENT', 'TASKS OWNED', 'TASKS LIVE', 'REVOKED BEFORE'],
          r.agents.map((a) => [a.id, a.tasks_owned, a.tasks_live, isoTime(a.revoked_before)]),
        ),
      );
      if (r.kill_switch_before)
        printLine(
          `kill switch: every token issued before ${isoTime(r.kill_switch_before)} is revoked`,
        );
      if (!r.complete) printLine('note: counts are partial (more open tasks than one scan reads)');
    });

  agents
    .command('revoke <id>')
    .description('revoke every token an agent holds or acted in; new ones are issued as before')
    .option('--allow-unknown', 'also for an id no longer configured (it may still hold tokens)')
    .action(async (id: string, o: { allowUnknown?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      progress(`revoking agent ${id}…`, g.json);
      const r = await adminClient(cmd).post<{ id: string; before: number; configured: boolean }>(
        `/admin/agents/${seg(id)}/revoke`,
        o.allowUnknown ? { allow_unknown: true } : {},
      );
      if (g.json) return printJson(r);
      printLine(
        `revoked agent ${safeText(id)}: every token issued to it before ${isoTime(r.before)}${r.configured ? '' : ' (not a configured agent)'}`,
      );
    });

  const users = program.command('users').description("a user's tokens");
  users
    .command('revoke <sub>')
    .description(
      'revoke every token acting for a user (the sub as Baton names it, with any prefix)',
    )
    .action(async (sub: string, _o: unknown, cmd: Command) => {
      const r = await adminClient(cmd).post<{ id: string; before: number }>(
        `/admin/users/${seg(sub)}/revoke`,
      );
      if (globals(cmd).json) return printJson(r);
      printLine(`revoked user ${safeText(sub)}: every token issued before ${isoTime(r.before)}`);
    });
}
