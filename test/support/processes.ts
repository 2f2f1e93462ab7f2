/**
 * Baton as separate OS processes (`node --import tsx src/cli/baton.ts serve`), for tests of
 * several instances sharing one store, and one-shot CLI runs (`runBaton`). Every child is registered so that it is killed when the
 * test calls stopAllBatons() (afterAll) and, failing that, when the jest worker exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freePort, terminate } from './redis.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { generateKeyFile } from '../../src/keys/keyset.js';
import { rawTestConfig, type Upstream } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOST = '127.0.0.1';

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: the worker is going away without afterAll having stopped them.
  process.once('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
}

export interface BatonProcess {
  url: string;
  port: number;
  pid: number;
  /** The tail of its stdout/stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** One shared deployment on disk: a config file and a key directory, in a temp dir. */
export interface Deployment {
  dir: string;
  configPath: string;
  remove(): Promise<void>;
}

/**
 * Writes the test cast's config as YAML with a Redis store (`url` + `prefix`) and a key dir
 * holding one generated key: what every instance of one deployment shares.
 */
export async function writeDeployment(
  upstream: Upstream,
  store: { url: string; prefix: string },
  patch: (raw: Record<string, unknown>) => void = () => {},
): Promise<Deployment> {
  const dir = await mkdtemp(path.join(tmpdir(), 'baton-deploy-'));
  const keysDir = path.join(dir, 'keys');
  await generateKeyFile(keysDir, 'ES256');
  const raw = rawTestConfig(upstream);
  raw.host = HOST;
  raw.logLevel = 'warn';
  raw.store = { kind: 'redis', url: store.url, prefix: store.prefix };
  raw.keys = { dir: keysDir, alg: 'ES256', generateIfMissing: false };
  patch(raw);
  const configPath = path.join(dir, 'baton.yaml');
  await writeFile(configPath, stringify(raw), { mode: 0o600 });
  return { dir, configPath, remove: () => rm(dir, { recursive: true, force: true }) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function stopChild(child: ChildProcess): Promise<void> {
  await terminate(child);
  children.delete(child);
}

/** GET /readyz answers 200 (store up, revocation marks fresh). */
async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Only what a child needs from ours: no NODE_OPTIONS of jest, no env override of the config. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'])
    if (process.env[k] !== undefined) env[k] = process.env[k];
  return { ...env, ...extra };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `baton <args>` (src/cli/baton.ts) to its end with only `env` besides PATH and HOME, as
 * a user would from a shell; for the CLI's exit codes and messages. Killed after `timeoutMs`.
 */
export function runBaton(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/baton.ts', ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  installExitHook();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

async function launch(
  configPath: string,
  port: number,
  timeoutMs: number,
  args: string[] = [],
): Promise<BatonProcess> {
  const env = childEnv({ BATON_CONFIG: configPath, PORT: String(port) });
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/baton.ts', 'serve', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  installExitHook();
  let out = '';
  const collect = (d: Buffer) => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const url = `http://${HOST}:${port}`;
  const proc: BatonProcess = {
    url,
    port,
    pid: child.pid ?? -1,
    output: () => out,
    stop: () => stopChild(child),
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stopChild(child);
      throw new Error(
        `baton on port ${port} exited before it was ready (${spawnError?.message ?? `code ${child.exitCode}`}):\n${out}`,
      );
    }
    if (await ready(url)) return proc;
    await sleep(100);
  }
  await stopChild(child);
  throw new Error(`baton on port ${port} was not ready within ${timeoutMs} ms:\n${out}`);
}

/** Starts `baton serve` on a free port with BATON_CONFIG = configPath; resolves once /readyz is 200. */
export async function spawnBaton(
  configPath: string,
  timeoutMs = 30_000,
  args: string[] = [],
): Promise<BatonProcess> {
  let last: unknown;
  // The free port may be taken before the child binds it; then it exits at once and we retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(configPath, await freePort(), timeoutMs, args);
    } catch (e) {
      last = e;
      if (!/EADDRINUSE/.test(String((e as Error).message))) break;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}

/** Stops every Baton process this worker started (SIGTERM, then SIGKILL after 5 s). */
export async function stopAllBatons(): Promise<void> {
  await Promise.all([...children].map(stopChild));
}
