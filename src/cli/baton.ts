#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecret, hashSecret } from '../auth/secrets.js';
import { ConfigError } from '../config/load.js';
import { parseWorkers, readEnv } from '../config/env.js';
import { generateKeyFile, KeySet, readKeyFiles, type SigningAlg } from '../keys/keyset.js';
import { DEFAULTS } from '../config/defaults.js';
import { availableParallelism } from 'node:os';
import { serve } from './serve.js';
import { forkWorkers } from './workers.js';
import { epochSeconds } from '../clock.js';

const program = new Command('baton').description('Baton: a credential broker for AI agents');
// Commander's own usage errors (unknown option, missing argument) are thrown to the catch at
// the end, which exits 2 as for every usage error; set before the subcommands, which inherit it.
program.exitOverride();

/** The command running (`keys generate`), to name it in an error. */
let running = '';
program.hook('preAction', (_root, action) => {
  const names: string[] = [];
  for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
  running = names.join(' ');
});

/** A mistake in the command line: one line on stderr, exit code 2 (no stack trace). */
class UsageError extends Error {}

/** A whole number of seconds from an option, or a usage error naming the option. */
function seconds(option: string, v: string): number {
  if (!/^\d+$/.test(v))
    throw new UsageError(`${option} must be a whole number of seconds (got "${v}")`);
  return Number(v);
}

program
  .command('serve', { isDefault: true })
  .description('serve the config named by BATON_CONFIG, or the demo when it is unset')
  .option(
    '--workers <n>',
    'one process per core behind one port (needs BATON_CONFIG with the Redis store); ' +
      `default BATON_WORKERS or ${DEFAULTS.workers}`,
  )
  .action(async (o: { workers?: string }) => {
    try {
      const asked =
        o.workers === undefined
          ? (readEnv(process.env).workers ?? DEFAULTS.workers)
          : parseWorkers(o.workers);
      if (asked === undefined) throw new UsageError('--workers must be a positive integer or auto');
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

const keys = program.command('keys').description('signing keys in the shared key source');
keys
  .command('generate')
  .description('create a key; with --activate-in it is published now and signs later (rotation)')
  .option('--dir <dir>', 'key directory', 'keys')
  .option('--alg <alg>', 'ES256 | EdDSA | RS256', DEFAULTS.keyAlg)
  .option(
    '--activate-in <seconds>',
    `seconds until it signs; default 0 for the first key, ${DEFAULTS.keyPublishLeadSeconds} (the JWKS cache time) for a rotation`,
  )
  .action(async (o: { dir: string; alg: string; activateIn?: string }) => {
    if (!['ES256', 'EdDSA', 'RS256'].includes(o.alg))
      throw new UsageError(`--alg must be ES256, EdDSA or RS256 (got "${o.alg}")`);
    // A rotation is published before it signs, so verifiers holding a cached JWKS know it first.
    const lead =
      o.activateIn !== undefined
        ? seconds('--activate-in', o.activateIn)
        : readKeyFiles(o.dir).length
          ? DEFAULTS.keyPublishLeadSeconds
          : 0;
    const f = await generateKeyFile(o.dir, o.alg as SigningAlg, epochSeconds() + lead);
    process.stdout.write(
      `created ${f.kid} (${f.alg}), signs from ${new Date(f.activateAt * 1000).toISOString()}\n`,
    );
  });
keys
  .command('list')
  .option('--dir <dir>', 'key directory', 'keys')
  .action((o: { dir: string }) => {
    for (const f of readKeyFiles(o.dir))
      process.stdout.write(
        `${f.kid}  ${f.alg}  signs from ${new Date(f.activateAt * 1000).toISOString()}\n`,
      );
  });
keys
  .command('prune')
  .description('delete keys no longer published (every token they signed has expired)')
  .option('--dir <dir>', 'key directory', 'keys')
  .option(
    '--max-token-lifetime <seconds>',
    'the longest a token lives (task TTL)',
    String(DEFAULTS.taskTtlSeconds),
  )
  .action(async (o: { dir: string; maxTokenLifetime: string }) => {
    const ks = await KeySet.fromDir(o.dir, seconds('--max-token-lifetime', o.maxTokenLifetime));
    const live = new Set(ks.published().map((k) => k.kid));
    for (const f of readKeyFiles(o.dir))
      if (!live.has(f.kid)) {
        rmSync(join(o.dir, `${f.kid}.json`));
        process.stdout.write(`removed ${f.kid}\n`);
      }
  });

const policy = program.command('policy').description('Cedar policy sets');
policy
  .command('check <file>')
  .description(
    'validate a policy set against Baton\'s schema; with --agent, answer "may agent X get tool Y with scopes Z for this user?"',
  )
  .option('--agent <id>', 'the agent asking (for hand_off: the agent taking the task)')
  .option(
    '--action <action>',
    'start_task | exchange | hand_off (default: exchange with --tool, else start_task)',
  )
  .option('--tool <resource>', "the tool's resource URI")
  .option('--tool-name <name>', "the tool's config name (what policies read as resource.name)")
  .option('--scope <scopes>', 'space-separated scopes')
  .option('--user-claims <json>', 'the user token\'s claims, e.g. \'{"tenant":"acme"}\'')
  .option('--agent-tenant <tenant>', "the agent's attributes.tenant")
  .option('--purpose <text>', "the task's purpose")
  .option('--from <id>', 'hand_off: the current actor handing the task on')
  .action(async (file: string, o: Record<string, string | undefined>) => {
    const { readFileSync } = await import('node:fs');
    const { checkPolicy, formatCheck } = await import('../policy/cedar/check.js');
    let userClaims: Record<string, unknown> | undefined;
    try {
      userClaims = o.userClaims ? (JSON.parse(o.userClaims) as Record<string, unknown>) : undefined;
    } catch {
      throw new UsageError('--user-claims must be a JSON object');
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT'
          ? `no policy file at ${file}`
          : `cannot read ${file} (${code ?? 'error'})`,
      );
    }
    const question = o.agent
      ? {
          agent: o.agent,
          ...(o.action ? { action: o.action as 'start_task' | 'exchange' | 'hand_off' } : {}),
          ...(o.tool ? { tool: o.tool } : {}),
          ...(o.toolName ? { toolName: o.toolName } : {}),
          ...(o.scope ? { scope: o.scope } : {}),
          ...(userClaims ? { userClaims } : {}),
          ...(o.agentTenant ? { agentAttributes: { tenant: o.agentTenant } } : {}),
          ...(o.purpose ? { purpose: o.purpose } : {}),
          ...(o.from ? { from: o.from } : {}),
        }
      : undefined;
    const out = formatCheck(checkPolicy(text, question, file));
    process.stdout.write(`${out.text}\n`);
    process.exitCode = out.exitCode;
  });

program
  .command('secret')
  .description('generate a client secret or admin key (256 bits) and the hash to put in the config')
  .action(() => {
    const s = generateSecret();
    process.stdout.write(`secret:     ${s}\nsecretHash: ${hashSecret(s)}\n`);
  });

// One line on stderr for every failure, never a stack trace: 2 for a usage error, else 1.
try {
  await program.parseAsync();
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  const message = e instanceof ConfigError ? e.message : (e as Error).message;
  process.stderr.write(`baton${running ? ` ${running}` : ''}: ${message}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
}
