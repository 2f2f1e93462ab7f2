import type { Command } from 'commander';
import { adminClient, globals } from '../globals.js';
import { isoTime, printJson, printLine, progress } from '../output.js';
import { UsageError } from '../usage.js';

/** `baton revoke-all --yes`: the kill switch, POST /admin/revoke-all. Needs --yes: it ends everything. */
export function registerRevokeAll(program: Command): void {
  program
    .command('revoke-all')
    .description('the kill switch: revoke every token issued before now (needs --yes)')
    .option('--yes', 'yes, end every task and token of this deployment')
    .action(async (o: { yes?: boolean }, cmd: Command) => {
      if (!o.yes)
        throw new UsageError('revoke-all ends every token of every task; run it again with --yes');
      const g = globals(cmd);
      progress('revoking every token issued before now…', g.json);
      const r = await adminClient(cmd).post<{ revoked: string; before: number }>(
        '/admin/revoke-all',
      );
      if (g.json) return printJson(r);
      printLine(`revoked every token issued before ${isoTime(r.before)}`);
    });
}
