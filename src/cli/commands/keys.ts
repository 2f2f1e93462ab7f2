import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { epochSeconds } from '../../clock.js';
import { DEFAULTS } from '../../config/defaults.js';
import { loadConfigFile } from '../../config/load.js';
import { generateKeyFile, KeySet, readKeyFiles, type SigningAlg } from '../../keys/keyset.js';
import { configFile, globals } from '../globals.js';
import { isoTime, printJson, printLine } from '../output.js';
import { seconds, UsageError } from '../usage.js';

const ALGS = ['ES256', 'EdDSA', 'RS256'];

/**
 * Where keys live and how long tokens do: the flag, else the config named by --config /
 * BATON_CONFIG (so the CLI agrees with the server), else the documented defaults.
 */
function keyDefaults(cmd: Command): { dir: string; alg: string; taskTtlSeconds: number } {
  const file = configFile(cmd);
  if (!file)
    return { dir: DEFAULTS.keysDir, alg: DEFAULTS.keyAlg, taskTtlSeconds: DEFAULTS.taskTtlSeconds };
  const c = loadConfigFile(file);
  return { dir: c.keys.dir, alg: c.keys.alg, taskTtlSeconds: c.defaults.taskTtlSeconds };
}

/** `baton keys generate|list|prune`: the shared key directory (docs/operations.md). */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('signing keys in the shared key directory');
  keys
    .command('generate')
    .description('create a key; the first signs now, a rotation is published first and signs later')
    .option(
      '--dir <dir>',
      `key directory (default: the config's keys.dir, else ${DEFAULTS.keysDir})`,
    )
    .option(
      '--alg <alg>',
      `ES256 | EdDSA | RS256 (default: the config's keys.alg, else ${DEFAULTS.keyAlg})`,
    )
    .option(
      '--activate-in <seconds>',
      `seconds until it signs; default 0 for the first key, ${DEFAULTS.keyPublishLeadSeconds} for a rotation (JWKS cache time + key re-read)`,
    )
    .action(async (o: { dir?: string; alg?: string; activateIn?: string }, cmd: Command) => {
      if (o.alg !== undefined && !ALGS.includes(o.alg))
        throw new UsageError(`--alg must be ES256, EdDSA or RS256 (got "${o.alg}")`);
      const lead = o.activateIn !== undefined ? seconds('--activate-in', o.activateIn) : undefined;
      const d = keyDefaults(cmd);
      const dir = o.dir ?? d.dir;
      const alg = (o.alg ?? d.alg) as SigningAlg;
      // A rotation is published before it signs, so verifiers holding a cached JWKS know it first.
      const existing = readKeyFiles(dir).length;
      const wait = lead ?? (existing ? DEFAULTS.keyPublishLeadSeconds : 0);
      const f = await generateKeyFile(dir, alg, epochSeconds() + wait);
      const r = { kid: f.kid, alg: f.alg, dir, activate_at: f.activateAt, rotation: existing > 0 };
      if (globals(cmd).json) return printJson(r);
      printLine(
        `created ${f.kid} (${f.alg}) in ${dir}, signs from ${isoTime(f.activateAt)}${existing ? ` (a rotation: published now, signs in ${wait} s)` : ''}`,
      );
    });
  keys
    .command('list')
    .description('the keys in the directory, and which signs now')
    .option(
      '--dir <dir>',
      `key directory (default: the config's keys.dir, else ${DEFAULTS.keysDir})`,
    )
    .action((o: { dir?: string }, cmd: Command) => {
      const dir = o.dir ?? keyDefaults(cmd).dir;
      const files = readKeyFiles(dir).sort((a, b) => a.activateAt - b.activateAt);
      const now = epochSeconds();
      const signing = files.filter((f) => f.activateAt <= now).at(-1)?.kid;
      const rows = files.map((f) => ({
        kid: f.kid,
        alg: f.alg,
        activate_at: f.activateAt,
        state: f.kid === signing ? 'signing' : f.activateAt > now ? 'staged' : 'superseded',
      }));
      if (globals(cmd).json) return printJson({ dir, keys: rows });
      if (!rows.length)
        return printLine(`no keys in ${dir} (create one with: baton keys generate --dir ${dir})`);
      for (const k of rows)
        printLine(
          `${k.kid}  ${k.alg}  ${k.state.padEnd(10)}  signs from ${isoTime(k.activate_at)}`,
        );
      printLine(`${rows.length} key${rows.length === 1 ? '' : 's'} in ${dir}`);
    });
  keys
    .command('prune')
    .description('delete keys no longer published (every token they signed has expired)')
    .option(
      '--dir <dir>',
      `key directory (default: the config's keys.dir, else ${DEFAULTS.keysDir})`,
    )
    .option(
      '--max-token-lifetime <seconds>',
      `the longest a token lives (default: the config's defaults.taskTtlSeconds, else ${DEFAULTS.taskTtlSeconds})`,
    )
    .action(async (o: { dir?: string; maxTokenLifetime?: string }, cmd: Command) => {
      const d = keyDefaults(cmd);
      const dir = o.dir ?? d.dir;
      const life =
        o.maxTokenLifetime !== undefined
          ? seconds('--max-token-lifetime', o.maxTokenLifetime)
          : d.taskTtlSeconds;
      const ks = await KeySet.fromDir(dir, life);
      const live = new Set(ks.published().map((k) => k.kid));
      const removed: string[] = [];
      const kept: string[] = [];
      for (const f of readKeyFiles(dir))
        if (live.has(f.kid)) kept.push(f.kid);
        else {
          rmSync(join(dir, `${f.kid}.json`));
          removed.push(f.kid);
        }
      if (globals(cmd).json) return printJson({ dir, removed, kept });
      for (const kid of removed) printLine(`removed ${kid}`);
      printLine(
        `removed ${removed.length}, kept ${kept.length} published key${kept.length === 1 ? '' : 's'} in ${dir}`,
      );
    });
}
