import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { checkConfigFile, exitCodeOf, type Finding } from '../config-check/checks.js';
import { configFile, globals } from '../globals.js';
import { printJson, printLine, progress } from '../output.js';
import { UsageError } from '../usage.js';

/** Connects to the configured Redis once (ioredis is loaded only when the config uses it). */
async function pingRedis(store: Config['store'], timeoutMs: number): Promise<void> {
  const { redisConnection } = await import('../../boot.js');
  const { pingRedis: ping } = await import('../../store/redis/connect.js');
  await ping(redisConnection(store), timeoutMs);
}

const LABEL: Record<Finding['severity'], string> = {
  error: 'error  ',
  warning: 'warning',
  ok: 'ok     ',
};

/** `baton config check [FILE]`: one line per finding, exit code by the worst (docs/cli.md). */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('configuration files');
  config
    .command('check [file]')
    .description(
      'validate a config completely: schema (with the nearest valid name for a typo), key files, Cedar, each JWKS, Redis',
    )
    .action(async (fileArg: string | undefined, _o: unknown, cmd: Command) => {
      const file = configFile(cmd, fileArg);
      if (!file) throw new UsageError('give FILE, --config or BATON_CONFIG');
      const g = globals(cmd);
      progress(`checking ${file} (JWKS and Redis are contacted)…`, g.json);
      const findings = await checkConfigFile(file, { env: process.env, pingRedis });
      const errors = findings.filter((f) => f.severity === 'error').length;
      const warnings = findings.filter((f) => f.severity === 'warning').length;
      if (g.json) printJson({ file, errors, warnings, findings });
      else {
        for (const f of findings) printLine(`${LABEL[f.severity]} ${f.path}: ${f.message}`);
        printLine(
          `${file}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
        );
      }
      process.exitCode = exitCodeOf(findings);
    });
}
