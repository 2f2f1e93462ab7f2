/**
 * Redis helpers for tests.
 *
 * - Shared servers come from the environment (.ci/run exports them):
 *     BATON_TEST_REDIS_URL      standalone Redis, default redis://127.0.0.1:6379
 *     BATON_TEST_REDIS_CLUSTER  "127.0.0.1:7100,127.0.0.1:7101,127.0.0.1:7102"
 *   Tests sharing a server must namespace their keys with uniquePrefix().
 * - startRedisServer() gives a test its own throwaway redis-server (for things that
 *   must not share: memory/key counting, killing the server, FLUSHALL...).
 * - startRedisCluster() returns the shared cluster if one is configured, otherwise
 *   starts a private one via scripts/redis-cluster.sh, so `npm test` works locally
 *   without .ci/run as long as redis-server is installed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const HOST = '127.0.0.1';
const CLUSTER_SCRIPT = fileURLToPath(new URL('../../scripts/redis-cluster.sh', import.meta.url));

export interface RedisNode {
  host: string;
  port: number;
}

export interface TestRedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** SIGSTOP: the server hangs with its connections open (a stalled host, not a crash). */
  pause(): void;
  /** SIGCONT: it answers again, including what was sent while it was paused. */
  resume(): void;
}

export interface TestRedisCluster {
  nodes: RedisNode[];
  stop(): Promise<void>;
}

/** URL of the shared standalone Redis. */
export function testRedisUrl(): string {
  return process.env.BATON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** Nodes of the shared Redis Cluster, or undefined if BATON_TEST_REDIS_CLUSTER is unset. */
export function testClusterNodes(): RedisNode[] | undefined {
  const raw = process.env.BATON_TEST_REDIS_CLUSTER;
  if (raw === undefined || raw.trim() === '') return undefined;
  return parseNodeList(raw);
}

/** Parses "host:port,host:port"; throws on anything malformed rather than guessing. */
export function parseNodeList(raw: string): RedisNode[] {
  const nodes = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const i = entry.lastIndexOf(':');
      const host = entry.slice(0, i);
      const port = Number(entry.slice(i + 1));
      if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new Error(`bad Redis node "${entry}" (expected host:port) in "${raw}"`);
      }
      return { host, port };
    });
  if (nodes.length === 0) throw new Error(`no Redis nodes in "${raw}"`);
  return nodes;
}

/** Every prefix uniquePrefix() hands out starts with this (dropKeysUnder deletes nothing else). */
export const PREFIX_FAMILY = 'bt:test:';

/**
 * The id of this test run: set once by test/support/global-setup.ts, so every jest worker's
 * prefixes share it and the teardown can tell this run's leftovers from another run's keys on
 * the same shared server. Outside jest (the bench), one per process.
 */
export const RUN_ENV = 'BATON_TEST_RUN'; // global-setup.ts repeats it
const processRun = randomBytes(4).toString('hex');
export const testRunId = (): string => process.env[RUN_ENV] ?? processRun;

/** The prefix family of this run, e.g. "bt:test:1a2b3c4d:". */
export const runPrefix = (): string => `${PREFIX_FAMILY}${testRunId()}:`;

/**
 * Random key prefix, e.g. "bt:test:1a2b3c4d:3f9a0c1d2e4b:", so tests sharing a Redis never
 * collide. Whoever takes one deletes its keys when done (dropKeysUnder, redis-keys.ts).
 */
export function uniquePrefix(): string {
  return `${runPrefix()}${randomBytes(6).toString('hex')}:`;
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** One raw PING over TCP; true iff the server replies +PONG. No client library, no retries. */
async function pings(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when the child exits (immediately if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child is gone. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

/**
 * Starts a private redis-server (not daemonized: a child of this jest worker) on a
 * free loopback port and waits until it answers PING. Always call stop() (afterAll).
 */
export async function startRedisServer(): Promise<TestRedisServer> {
  let lastError: unknown;
  // freePort() can race with other processes grabbing the same port before
  // redis-server binds it; in that case redis-server exits at once and we retry.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = await mkdtemp(path.join(tmpdir(), 'baton-redis-'));
    try {
      return await launch(port, dir);
    } catch (err) {
      lastError = err;
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function launch(port: number, dir: string): Promise<TestRedisServer> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      dir, // nothing should be written, but never into the repo/cwd
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Keep the tail of its log for error messages (and drain the pipes so it never blocks).
  let output = '';
  const collect = (d: Buffer): void => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  // If the jest worker exits without calling stop(), do not leave the server behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    // A paused server would not act on SIGTERM until resumed.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
    await terminate(child);
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (spawnError) {
      await stop();
      const hint =
        (spawnError as NodeJS.ErrnoException).code === 'ENOENT'
          ? ' (is redis-server installed? apt-get install redis-server)'
          : '';
      throw new Error(`cannot start redis-server${hint}: ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`redis-server on port ${port} exited early:\n${output}`);
    }
    if (await pings(port)) {
      return {
        url: `redis://${HOST}:${port}`,
        port,
        stop,
        pause: () => child.kill('SIGSTOP'),
        resume: () => child.kill('SIGCONT'),
      };
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`redis-server on port ${port} did not answer PING within 10s:\n${output}`);
}

/**
 * The shared cluster from BATON_TEST_REDIS_CLUSTER (stop() is a no-op), or a private
 * 3-node cluster started with scripts/redis-cluster.sh in a temp dir. Allow it ~30s.
 */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const shared = testClusterNodes();
  if (shared) return { nodes: shared, stop: async () => {} };

  const dir = await mkdtemp(path.join(tmpdir(), 'baton-cluster-'));
  const clusterDir = path.join(dir, 'cluster');
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('bash', [CLUSTER_SCRIPT, 'start', clusterDir], {
      timeout: 60_000,
    }));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(
      `scripts/redis-cluster.sh start failed: ${String(err)}\n${stderr.slice(-2000)}`,
    );
  }
  let stopped = false;
  return {
    nodes: parseNodeList(stdout.trim()),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        await execFileAsync('bash', [CLUSTER_SCRIPT, 'stop', clusterDir], { timeout: 60_000 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
