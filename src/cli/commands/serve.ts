import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { parseWorkers, readEnv } from '../../config/env.js';
import { DEFAULTS } from '../../config/defaults.js';
import { ConfigError } from '../../config/load.js';
import { configFile } from '../globals.js';
import { serve } from '../serve.js';
import { UsageError } from '../usage.js';
import { forkWorkers } from '../workers.js';

/** `baton serve`: the config named by --config / BATON_CONFIG, or the demo when none is. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the config named by --config / BATON_CONFIG, or the demo when none is')
    .option(
      '--workers <n>',
      'one process per core behind one port (needs a config with the Redis store); ' +
        `default BATON_WORKERS or ${DEFAULTS.workers}`,
    )
    .action(async (o: { workers?: string }, cmd: Command) => {
      // --config is handed on as BATON_CONFIG: serve() and forked workers read it there.
      const file = configFile(cmd);
      if (file) process.env.BATON_CONFIG = file;
      try {
        const asked =
          o.workers === undefined
            ? (readEnv(process.env).workers ?? DEFAULTS.workers)
            : parseWorkers(o.workers);
        if (asked === undefined)
          throw new UsageError('--workers must be a positive integer or auto');
        const workers = asked === 'auto' ? availableParallelism() : asked;
        if (workers > 1 && forkWorkers(workers)) return;
        const served = await serve();
        const stop = async () => {
          await served.stop();
          process.exit(0);
        };
        process.on('SIGTERM', () => void stop());
        process.on('SIGINT', () => void stop());
        process.on('SIGHUP', () => void served.baton.reload());
      } catch (e) {
        if (e instanceof UsageError) throw e;
        process.stderr.write(
          `${e instanceof ConfigError ? e.message : `baton failed to start: ${(e as Error).message}`}\n`,
        );
        process.exit(1);
      }
    });
}
