/**
 * Baton as users deploy it, for the bench's main scenarios (issue 20): the built CLI
 * (`node --max-semi-space-size=8 dist/cli/baton.js serve`, as the Dockerfile runs it) in its own process, with a config file of realistic size —
 * the demo cast (four agents, three tools, named admin keys, the console's OIDC login), the
 * demo's Cedar policy set, approvals, audit on, rate limits on (the defaults), the Redis store,
 * a key directory, the default log level (every audit event is a JSON line, written to a file as
 * a log collector would take it). Only the upstream IdP differs from the demo's: the bench's own
 * signing key (inline JWKS), so the embedded IdP is not in the process under test; the demo with
 * its embedded IdP is measured on its own line (`startDemo`).
 *
 * The bench samples the process from outside (/proc/<pid>/status for RSS, /proc/<pid>/stat for
 * CPU); a CPU profile is Node's own `--cpu-prof`, written when the process exits.
 */
import { BATON_NODE_FLAGS } from '../src/cli/v8-flags.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO, DEMO_POLICY_FILE, demoConfig, demoResources } from '../src/demo/cast.js';
import type { Upstream } from '../test/support/index.js';
import { ROOT } from './build.js';
import { benchRateLimits } from './options.js';
import type { BatonCast } from './specs.js';
import { sleep } from './stats.js';

const CLI = join(ROOT, 'dist', 'cli', 'baton.js');

/** The port the deployed config names, so its tool URIs are fixed before it starts. */
export const DEPLOYED_PORT_BASE = 0;

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

/**
 * The bench measures what `npm run build` made; it builds first when dist/ is missing or older
 * than src/ (`.ci/run` builds before the bench, so there it is a no-op).
 */
export function ensureBuilt(log: (m: string) => void): void {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest(join(ROOT, 'src'))) return;
  log('dist/ is missing or older than src/: npm run build');
  const r = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status})`);
}

/** A free loopback port (the config file names its port, as a deployment's does). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface DeployedSetup {
  dir: string;
  /** The config object the file holds. */
  raw: Record<string, unknown>;
  configPath: string;
  issuer: string;
  cast: BatonCast;
  /** The tickets tool's URI in this config (the demo's, at the bench's port). */
  tool: string;
}

/**
 * Writes the deployed config (YAML is a superset of JSON: one file, as `BATON_CONFIG` names it)
 * and a key directory both instances share.
 */
export function writeDeployedConfig(o: {
  issuer: string;
  upstream: Upstream;
  redisUrl: string;
  prefix: string;
  port: number;
  rateLimits?: boolean;
  /** Baton's signing algorithm (keys.alg); ES256 unless the bench is asked for EdDSA. */
  alg?: 'ES256' | 'EdDSA';
}): DeployedSetup {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const raw = demoConfig(o.issuer, { issuer: o.upstream.issuer, jwksUri: 'unused' }, o.port);
  const config = {
    ...raw,
    // The bench's IdP key inline: the same trust rule the demo has, without its IdP in process.
    trustedIssuers: [
      {
        issuer: o.upstream.issuer,
        jwks: { keys: [o.upstream.jwk] },
        audience: o.issuer,
        algorithms: ['ES256'],
      },
    ],
    store: { kind: 'redis', url: o.redisUrl, prefix: o.prefix },
    // On, every request paying the whole check, with budgets one bench agent cannot reach (the
    // defaults, 6,000 requests a minute per agent, would answer most of a run 429).
    rateLimits: benchRateLimits(o.rateLimits ?? true),
    keys: { dir: join(dir, 'keys'), alg: o.alg ?? 'ES256', generateIfMissing: true },
    policy: { cedarFile: DEMO_POLICY_FILE, watch: true },
    // The console's login needs the demo IdP's discovery; it is not on any measured path.
    admin: { keys: (raw.admin as { keys: unknown[] }).keys },
  };
  mkdirSync(join(dir, 'keys'));
  const configPath = join(dir, 'baton.yaml');
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const tool = demoResources(o.port).tickets;
  return {
    dir,
    raw: config,
    configPath,
    issuer: o.issuer,
    tool,
    cast: {
      issuer: o.issuer,
      tool,
      agent: { id: 'support-agent', secret: DEMO.agents['support-agent'] },
      rs: { id: DEMO.tools.tickets.rs, secret: DEMO.tools.tickets.secret },
    },
  };
}

export interface DeployedProcess {
  name: string;
  pid: number;
  url: string;
  /** Resident set size now, from /proc (MiB). */
  rssMb(): number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

async function waitReady(url: string, child: ChildProcess, logFile: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(
        `baton exited (${child.exitCode}): ${readFileSync(logFile, 'utf8').slice(-2000)}`,
      );
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(
    `baton at ${url} not ready in ${ms} ms: ${readFileSync(logFile, 'utf8').slice(-2000)}`,
  );
}

export function rssMbOf(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return Number.NaN; // the process has gone (a sampler may outlive it by one tick)
  }
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * `node --max-semi-space-size=8 dist/cli/baton.js serve` (BATON_NODE_FLAGS) with `env` (BATON_CONFIG for the deployed config, nothing for
 * the demo); stdout (the JSON log) goes to a file. `nodeArgs` adds Node flags (`--cpu-prof`).
 */
export async function startCli(o: {
  name: string;
  port: number;
  env: Record<string, string>;
  logDir: string;
  nodeArgs?: string[];
}): Promise<DeployedProcess> {
  const logFile = join(o.logDir, `${o.name}.log`);
  const out = openSync(logFile, 'a');
  // As the Dockerfile's CMD starts it: with the heap flags Baton recommends (src/cli/v8-flags.ts).
  const child = spawn(
    process.execPath,
    [...BATON_NODE_FLAGS, ...(o.nodeArgs ?? []), CLI, 'serve'],
    {
      cwd: o.logDir,
      stdio: ['ignore', out, out],
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(o.port), ...o.env },
    },
  );
  live.add(child);
  child.once('exit', () => live.delete(child));
  const url = `http://127.0.0.1:${o.port}`;
  await waitReady(url, child, logFile);
  const pid = child.pid!;
  return {
    name: o.name,
    pid,
    url,
    rssMb: () => rssMbOf(pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    },
  };
}

/** Samples a process's RSS every `everyMs` until stopped. */
export function sampleRss(
  pid: number,
  everyMs = 100,
): () => { max_mb: number; mean_mb: number; samples: number } {
  const xs: number[] = [];
  const t = setInterval(() => {
    const v = rssMbOf(pid);
    if (Number.isFinite(v) && xs.length < 100_000) xs.push(v);
  }, everyMs);
  return () => {
    clearInterval(t);
    if (xs.length === 0) xs.push(rssMbOf(pid));
    return {
      max_mb: Math.max(...xs),
      mean_mb: xs.reduce((a, b) => a + b, 0) / xs.length,
      samples: xs.length,
    };
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
