/**
 * `npm run bench:marks` (not part of the quick CI bench): what an instance costs with N user
 * marks written over time (issue 21, docs/performance.md "Revocation marks at scale"). For each
 * N, the marks are written straight into a private redis-server on 127.0.0.1 (pipelined HSET +
 * ZADD, as PUT_MARK lays them out), their stamps spread evenly over the last `--history-hours`
 * (24 by default), so only those of the last task lifetime are live; then two Baton instances
 * start on it and the bench measures, per instance: start-up (its full read, and dropping the
 * expired marks), idle CPU, RSS, marks held, /readyz latency, the exchange's throughput and p99,
 * and Redis's time per refresh script (SLOWLOG with a 0 µs threshold). Asserts nothing.
 *
 *   npm run bench:marks -- [--sizes 0,10000,100000,1000000] [--history-hours 720] [--quick]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { DEFAULTS } from '../src/config/defaults.js';
import { markRetentionSeconds } from '../src/config/task-lifetime.js';
import { createKey } from '../src/keys/keyset.js';
import { makeUpstream, rawTestConfig, startRedisServer } from '../test/support/index.js';
import { prepareTargets, removeBuild } from './build.js';
import { setTargetRuntime, spawnTarget, stopAllChildren, type TargetChild } from './children.js';
import { coresUsed, snapshot } from './cpu.js';
import { call } from './http.js';
import { drive } from './load.js';
import { benchRateLimits } from './options.js';
import * as spec from './specs.js';
import { quantile, round, sleep } from './stats.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const quick = process.argv.includes('--quick');
const sizes = (arg('sizes') ?? (quick ? '0,10000' : '0,10000,100000,1000000'))
  .split(',')
  .map(Number);
// 30 days: marks are kept one longest task lifetime (taskMaxSeconds, 24 h by default), so most
// of a month of history has expired.
const historySeconds = Number(arg('history-hours') ?? 720) * 3600;
const idleSeconds = quick ? 2 : 5;
const load = { connections: 16, durationSec: quick ? 2 : 8, warmupSec: quick ? 1 : 2 };
const RETENTION = markRetentionSeconds({ defaults: { taskMaxSeconds: DEFAULTS.taskMaxSeconds } });
const log = (m: string) => process.stderr.write(`bench:marks ${m}\n`);

/** N user marks, stamps evenly over the history up to now (Redis TIME), 10k per pipeline. */
async function writeMarks(redis: Redis, prefix: string, n: number): Promise<number> {
  const [s, us] = (await redis.call('TIME', [])) as [string, string];
  const now = Number(s) * 1_000_000 + Number(us);
  const step = n > 0 ? (historySeconds * 1_000_000) / n : 0;
  const hash = `${prefix}{global}:marks`;
  const idx = `${prefix}{global}:marks:idx`;
  let live = 0;
  for (let i = 0; i < n; i += 10_000) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(n, i + 10_000); j++) {
      const stamp = Math.round(now - (n - 1 - j) * step) - 1;
      if (now - stamp < RETENTION * 1_000_000) live++;
      p.hset(hash, `u:user-${j}@example.com`, String(stamp));
      p.zadd(idx, stamp, `u:user-${j}@example.com`);
    }
    await p.exec();
  }
  await redis.hset(`${prefix}{global}:marks:meta`, 'indexed', '1', 'last', String(now));
  return live;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? round(Number(m[1]) / 1024, 0) : Number.NaN;
}

async function readyzMs(url: string, n = 30): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await call(`${url}/readyz`);
    ms.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`/readyz ${r.status}`);
    await sleep(20);
  }
  return { p50: round(quantile(ms, 0.5), 1), p99: round(quantile(ms, 0.99), 1) };
}

async function marksHeld(url: string): Promise<number> {
  const m = /baton_revocation_marks_held (\d+)/.exec((await call(`${url}/metrics`)).text);
  return m ? Number(m[1]) : Number.NaN;
}

/** µs Redis spent in each EVALSHA of the marks refresh over `seconds` (SLOWLOG, 0 µs threshold). */
async function refreshScriptMicros(redis: Redis, seconds: number) {
  await redis.config('SET', 'slowlog-log-slower-than', '0');
  await redis.config('SET', 'slowlog-max-len', '100000');
  await redis.slowlog('RESET');
  await sleep(seconds * 1000);
  const rows = (await redis.slowlog('GET', 100000)) as [number, number, number, string[]][];
  await redis.config('SET', 'slowlog-log-slower-than', '10000');
  const us = rows
    .filter((r) => r[3][0]?.toLowerCase() === 'evalsha' && r[3][3]?.endsWith(':marks'))
    .map((r) => r[2]);
  return { calls: us.length, p50: quantile(us, 0.5), max: us.length ? Math.max(...us) : 0 };
}

async function main(): Promise<void> {
  setTargetRuntime(await prepareTargets(true));
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  const upstream = await makeUpstream();
  const keyFile = await createKey('ES256');
  const rows: string[] = [];
  try {
    for (const n of sizes) {
      const prefix = `bench:m${n}:`;
      const t0 = performance.now();
      const live = await writeMarks(redis, prefix, n);
      log(
        `N=${n}: wrote ${n} marks (${live} live) in ${round((performance.now() - t0) / 1000, 1)} s`,
      );
      // Rate limits at unreachable budgets (their cost stays in, as deployed): bench/options.ts.
      const rawConfig = {
        ...rawTestConfig(upstream),
        rateLimits: benchRateLimits(true),
        store: { kind: 'redis', url: server.url, prefix },
      };
      const started: { child: TargetChild; startS: number }[] = [];
      for (const name of ['A', 'B']) {
        const s0 = performance.now();
        const child = await spawnTarget('baton', `baton-${name}-${n}`, { rawConfig, keyFile });
        started.push({ child, startS: round((performance.now() - s0) / 1000, 2) });
      }
      const [A, B] = started as [(typeof started)[0], (typeof started)[0]];
      await sleep(2000);
      const before = snapshot({
        A: A.child.pid,
        B: B.child.pid,
        redis: Number(await redisPid(redis)),
      });
      const script = await refreshScriptMicros(redis, idleSeconds);
      const idle = coresUsed(
        before,
        snapshot({ A: A.child.pid, B: B.child.pid, redis: Number(await redisPid(redis)) }),
      );
      const readyz = await readyzMs(A.child.url);
      const held = await marksHeld(A.child.url);
      const task = await spec.startTaskOn(A.child.url, spec.TEST_CAST, await upstream.userToken());
      const ex = await drive(spec.exchangeSpec(A.child.url, spec.TEST_CAST, task), load);
      const rss = rssMb(A.child.pid);
      const row = [
        n.toLocaleString('en-US'),
        live.toLocaleString('en-US'),
        held.toLocaleString('en-US'),
        `${A.startS} / ${B.startS}`,
        `${round((idle.A ?? 0) * 100, 1)}% / ${round((idle.B ?? 0) * 100, 1)}%`,
        `${round((idle.redis ?? 0) * 100, 1)}%`,
        `${rss}`,
        `${readyz.p50} / ${readyz.p99}`,
        `${round(ex.rps, 0)}`,
        `${round(ex.p99_ms, 2)}`,
        `${script.p50} / ${script.max} (${script.calls})`,
      ];
      rows.push(`| ${row.join(' | ')} |`);
      log(rows[rows.length - 1] as string);
      await A.child.stop();
      await B.child.stop();
      await redis.del(`${prefix}{global}:marks`, `${prefix}{global}:marks:idx`);
    }
  } finally {
    redis.disconnect();
    await stopAllChildren();
    await server.stop();
    removeBuild();
  }
  process.stdout.write(
    [
      '| user marks written | live (last lifetime) | held by A | start A / B (s) | idle CPU A / B | idle CPU Redis | RSS A (MB) | /readyz p50 / p99 (ms) | exchange req/s | exchange p99 (ms) | Redis µs per refresh p50 / max (calls) |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

async function redisPid(redis: Redis): Promise<string> {
  return /process_id:(\d+)/.exec(await redis.info('server'))?.[1] ?? '-1';
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    void stopAllChildren().finally(() => process.exit(1));
  },
);
