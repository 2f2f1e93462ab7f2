import type { Command } from 'commander';
import { CliError, EXIT, positive, UsageError } from '../usage.js';
import { adminClient, globals } from '../globals.js';
import { isoTime, printLine, safeText } from '../output.js';
import { followSse, StreamRefused } from '../sse.js';

/** What GET /admin/stream sends as `event: change` (src/admin/activity.ts). */
interface AdminChange {
  kind: string;
  type: string;
  time: number;
  txn?: string;
  approval_id?: string;
}

/** The reconnect delay until the server names one with `retry:` (it sends 3000). */
const FALLBACK_RETRY_MS = 3000;

/** `baton events tail`: the live change stream, one line (or JSON line) per change, reconnecting. */
export function registerEvents(program: Command): void {
  const events = program
    .command('events')
    .description('the live stream of task and approval changes');
  events
    .command('tail')
    .description(
      'follow changes as they happen (reconnects; Ctrl-C stops); --json prints one JSON object a line',
    )
    .option('--count <n>', 'stop after n changes')
    .option(
      '--retry-ms <ms>',
      'reconnect delay until the server names one',
      String(FALLBACK_RETRY_MS),
    )
    .action(async (o: { count?: string; retryMs: string }, cmd: Command) => {
      const g = globals(cmd);
      const count =
        o.count === undefined ? Number.POSITIVE_INFINITY : positive('--count', o.count, 1e9);
      if (!/^\d+$/.test(o.retryMs)) throw new UsageError('--retry-ms must be a whole number');
      const client = adminClient(cmd);
      let seen = 0;
      try {
        await followSse({
          url: `${client.target.url}/admin/stream`,
          headers: client.headers(),
          fallbackRetryMs: Number(o.retryMs),
          onDisconnect: (reason, ms) =>
            process.stderr.write(`baton events tail: ${reason}; reconnecting in ${ms} ms\n`),
          onEvent: (e) => {
            if (e.event !== 'change') return true;
            let c: AdminChange;
            try {
              c = JSON.parse(e.data) as AdminChange;
            } catch {
              return true;
            }
            if (g.json) process.stdout.write(`${JSON.stringify(c)}\n`);
            else
              printLine(
                `${isoTime(c.time)}  ${c.kind.padEnd(10)} ${c.type.padEnd(18)} ${safeText(c.txn ?? c.approval_id ?? '')}`,
              );
            return ++seen < count;
          },
        });
      } catch (e) {
        if (e instanceof StreamRefused)
          throw new CliError(
            `GET /admin/stream: ${e.message}`,
            e.status === 404 ? EXIT.notFound : EXIT.refused,
          );
        throw e;
      }
    });
}
