#!/usr/bin/env node
// First: V8 settings that must precede any WebAssembly compile (v8-flags.ts says why).
import './v8-flags.js';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { registerAgents } from './commands/agents.js';
import { registerApprovals } from './commands/approvals.js';
import { registerConfig } from './commands/config.js';
import { registerEvents } from './commands/events.js';
import { registerInit } from './commands/init.js';
import { registerKeys } from './commands/keys.js';
import { registerPolicy } from './commands/policy.js';
import { registerRevokeAll } from './commands/revoke-all.js';
import { registerSecret } from './commands/secret.js';
import { registerServe } from './commands/serve.js';
import { registerTasks } from './commands/tasks.js';
import { registerToken } from './commands/token.js';
import { CliError, EXIT } from './usage.js';

/**
 * `baton`: the operator's command (docs/cli.md). One file per command group in commands/; the
 * admin commands call the admin API over HTTP (admin-client.ts). Bare `baton` prints help: the
 * demo, which serves public credentials, starts only when asked (`baton serve`, `npm start`).
 */

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

const program = new Command('baton')
  .description('Baton: a credential broker for AI agents')
  .version(version, '-V, --version', 'print the version')
  .option('--url <url>', 'Baton to talk to (default BATON_URL, else http://127.0.0.1:8080)')
  .option('--config <file>', 'the configuration file (default BATON_CONFIG)')
  .option('--json', 'print JSON for scripts instead of tables')
  .showSuggestionAfterError(true)
  // Commander's messages as one line; an unknown command's is held to be printed below with the
  // commands there are.
  .configureOutput({
    outputError: (str, write) => {
      if (str.startsWith('error: unknown command'))
        unknownCommand = str
          .trim()
          .replace(/^error: /, 'baton: ')
          .replace(/\n/g, ' ');
      else
        write(
          `${str
            .trim()
            .replace(/^error: /, 'baton: ')
            .replace(/\n/g, ' ')}\n`,
        );
    },
  })
  // Commander's own usage errors (unknown command or option, missing argument) are thrown to the
  // catch at the end, which exits 2 as for every usage error; subcommands inherit it.
  .exitOverride();

let unknownCommand = '';

/** The deepest command the words of argv name (`baton tasks lst` → tasks). */
function commandNamed(argv: string[]): Command {
  let c = program;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const sub = c.commands.find((s) => s.name() === word);
    if (!sub) break;
    c = sub;
  }
  return c;
}

/** The command running (`keys generate`), to name it in an error. */
let running = '';
program.hook('preAction', (_root, action) => {
  const names: string[] = [];
  for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
  running = names.join(' ');
});

registerServe(program);
registerInit(program);
registerConfig(program);
registerTasks(program);
registerAgents(program);
registerApprovals(program);
registerRevokeAll(program);
registerEvents(program);
registerToken(program);
registerKeys(program);
registerPolicy(program);
registerSecret(program);

// One line on stderr for every failure, never a stack trace (exit codes: usage.ts, docs/cli.md).
try {
  if (process.argv.length <= 2) {
    program.outputHelp();
    process.exit(EXIT.ok);
  }
  await program.parseAsync();
} catch (e) {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.unknownCommand') {
      const where = commandNamed(process.argv.slice(2));
      const names = where.commands.map((c) => c.name()).join(', ');
      process.stderr.write(
        `${unknownCommand}; the commands${where === program ? '' : ` of ${where.name()}`} are: ${names}\n`,
      );
    }
    process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  const message = e instanceof ConfigError ? e.message : (e as Error).message;
  process.stderr.write(`baton${running ? ` ${running}` : ''}: ${message}\n`);
  process.exit(e instanceof CliError ? e.exitCode : EXIT.failed);
}
