/**
 * `npm run bench` — Baton side by side with oidc-provider, on loopback (docs/performance.md).
 *
 * Starts a private redis-server, Baton (twice: instance A under load, instance B for
 * propagation), the peer (oidc-provider) and a raw node:http server, each in its own process;
 * drives them with autocannon from this process with identical settings; prints one table and
 * writes bench/results.json. Asserts nothing about speed; fails only when a scenario measured
 * errors instead of answers. Always cleans up, on error, on a deadline and on a signal.
 */
import { REDIS_STORE_DEFAULTS } from '../src/config/defaults.js';
import { cpus } from 'node:os';
import { ADMIN_KEY, makeUpstream, rawTestConfig, startRedisServer } from '../test/support/index.js';
import { createKey } from '../src/keys/keyset.js';
import { RedisStore } from '../src/store/redis/redis-store.js';
import { prepareTargets, removeBuild } from './build.js';
import { coresUsed, snapshot, type CpuSnapshot } from './cpu.js';
import { setTargetRuntime, spawnTarget, stopAllChildren, type TargetChild } from './children.js';
import { drive, type LoadResult, type LoadSpec } from './load.js';
import { benchRateLimits, parseOptions, type BenchOptions } from './options.js';
import { preparePolicyScenario } from './policy-scenario.js';
import { formatProfile, summariseProfile } from './profile.js';
import {
  buildResults,
  formatTable,
  writeResults,
  type Results,
  type ScenarioEntry,
  type Scenarios,
} from './report.js';
import { propagation, revokeLatency } from './revocation.js';
import { measureMemory, RedisProbe, type SeedCast } from './seed.js';
import * as spec from './specs.js';
import { median, round, sleep } from './stats.js';
import type { InProcessArgs, InProcessResult, RssReport } from './target.js';

const PREFIX = 'bench:';
const started = Date.now();
const log = (msg: string) =>
  process.stderr.write(
    `bench [${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`,
  );

const cleanups: (() => Promise<unknown>)[] = [];
let cleaned: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await stopAllChildren();
  })();
  return cleaned;
}

const entry = (
  n: string,
  title: string,
  r: { rps: number; p50_ms: number; p99_ms: number; [k: string]: unknown },
): ScenarioEntry => ({
  ...r,
  n,
  title,
  rps: round(r.rps, 1),
  p50_ms: round(r.p50_ms, 3),
  p99_ms: round(r.p99_ms, 3),
});

interface Measured {
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

/** Median of several runs (each kept in `runs`); counters summed over them. */
function medianEntry(n: string, title: string, runs: Measured[]): ScenarioEntry {
  const m = (f: (r: Measured) => number) => median(runs.map(f));
  const sums: Record<string, number> = {};
  for (const k of ['requests', 'non2xx', 'errors', 'mismatches', 'calls'])
    if (runs.every((r) => typeof (r as unknown as Record<string, unknown>)[k] === 'number'))
      sums[k] = runs.reduce((a, r) => a + ((r as unknown as Record<string, number>)[k] ?? 0), 0);
  const cpu: Record<string, number> = {};
  for (const r of runs)
    for (const [k, v] of Object.entries(
      (r as { cpu_cores?: Record<string, number> }).cpu_cores ?? {},
    ))
      if (typeof v === 'number') cpu[k] = (cpu[k] ?? 0) + v / runs.length;
  return {
    ...entry(n, title, {
      rps: m((r) => r.rps),
      p50_ms: m((r) => r.p50_ms),
      p99_ms: m((r) => r.p99_ms),
    }),
    ...sums,
    ...(Object.keys(cpu).length
      ? {
          cpu_cores: Object.fromEntries(
            Object.entries(cpu)
              .filter(([, v]) => v >= 0.005)
              .map(([k, v]) => [k, round(v, 2)]),
          ),
        }
      : {}),
    ...(runs.length > 1
      ? {
          runs: runs.map((r) => ({
            rps: round(r.rps, 1),
            p50_ms: round(r.p50_ms, 3),
            p99_ms: round(r.p99_ms, 3),
            ...((r as { cpu_cores?: object }).cpu_cores
              ? { cpu_cores: (r as { cpu_cores?: object }).cpu_cores }
              : {}),
          })),
        }
      : {}),
  };
}

async function main(o: BenchOptions): Promise<Results> {
  const settings = {
    connections: o.connections,
    durationSec: o.durationSec,
    warmupSec: o.warmupSec,
  };
  log(
    `${o.quick ? 'quick' : 'full'} run: ${o.connections} connections, ${o.warmupSec} s warm-up + ${o.durationSec} s per scenario, ${o.runs} run(s) of 1/3/4/5; node ${process.version}, ${cpus().length} CPUs`,
  );

  const runtime = await prepareTargets(o.compiled);
  cleanups.push(async () => removeBuild());
  setTargetRuntime(runtime);
  if (runtime.note) log(runtime.note);
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  log(`redis-server at ${redis.url}`);
  const upstream = await makeUpstream();
  const keyFile = await createKey('ES256');
  const rawConfig = {
    ...rawTestConfig(upstream),
    rateLimits: benchRateLimits(o.rateLimits),
    store: { kind: 'redis', url: redis.url, prefix: PREFIX },
  };
  const [children, policyScenario] = await Promise.all([
    Promise.all([
      spawnTarget('baton', 'baton-A', { rawConfig, keyFile }, { execArgv: ['--expose-gc'] }),
      spawnTarget('baton', 'baton-B', { rawConfig, keyFile }),
      spawnTarget('peer', 'peer', {}),
      spawnTarget('raw', 'raw-http', {}),
    ]),
    preparePolicyScenario({
      settings,
      upstream,
      keyFile,
      redisUrl: redis.url,
      prefix: PREFIX,
      rateLimits: rawConfig.rateLimits,
      log,
    }),
  ]);
  cleanups.push(() => policyScenario.stop());
  for (const c of children) cleanups.push(() => c.stop());
  const [A, B, peer, raw] = children as [TargetChild, TargetChild, TargetChild, TargetChild];
  log(
    `baton A ${A.url} (pid ${A.pid}), baton B ${B.url}, oidc-provider ${peer.url}, raw node:http ${raw.url}`,
  );

  const store = await RedisStore.connect({
    ...REDIS_STORE_DEFAULTS,
    url: redis.url,
    prefix: PREFIX,
  });
  cleanups.push(() => store.close());
  const probe = await RedisProbe.open(redis.url, PREFIX);
  cleanups.push(() => probe.close());
  const serverInfo = await probe.redis.info('server');
  const redisVersion = /^redis_version:(\S+)/m.exec(serverInfo)?.[1];
  const pids = {
    baton: A.pid,
    peer: peer.pid,
    raw_http: raw.pid,
    redis: Number(/^process_id:(\d+)/m.exec(serverInfo)?.[1] ?? -1),
    bench_loadgen: process.pid,
  };
  const cast = spec.TEST_CAST;
  const seedCast: SeedCast = {
    issuer: cast.issuer,
    tool: cast.tool,
    owner: cast.agent.id,
    handOffTo: 'billing-agent',
    sub: 'alice@example.com',
  };
  const found: Record<string, ScenarioEntry> = {};
  const idle = await A.call<{ rss_mb: number }>('memory');

  // 7. Redis memory per live token, first, while nothing else writes.
  await sleep(300);
  log(
    `7: Redis memory, ${o.memoryTasks} tasks × ${o.memoryTokensPerTask} tokens, without and with audit events`,
  );
  const mem = await measureMemory(store, probe, seedCast, o.memoryTasks, o.memoryTokensPerTask);

  // Throughput scenarios. Fresh tokens before each run, so none expires mid-run.
  const fresh = async () => {
    const task = await spec.startTaskOn(A.url, cast, await upstream.userToken());
    return { task, tool: await spec.toolTokenOn(A.url, cast, task) };
  };
  const rssReports: RssReport[] = [];
  // Each measured run records the cores each process used (what bounds it on a small machine).
  const runOne = async (
    key: string,
    s: () => Promise<LoadSpec>,
    rss = false,
  ): Promise<LoadResult & { cpu_cores: Record<string, number> }> => {
    const sp = await s();
    log(`${key}: ${sp.url}`);
    let before: CpuSnapshot | undefined;
    const start = async () => {
      if (rss) await A.call('rss-start', { intervalMs: 100 });
      before = snapshot(pids);
    };
    let r: LoadResult;
    try {
      r = await drive(sp, settings, start);
    } finally {
      if (rss) rssReports.push(await A.call<RssReport>('rss-stop'));
    }
    const cpu = before ? coresUsed(before, snapshot(pids)) : {};
    log(
      `${key}: ${Math.round(r.rps)} req/s, p50 ${r.p50_ms.toFixed(2)} ms, p99 ${r.p99_ms.toFixed(2)} ms; cores ${JSON.stringify(cpu)}`,
    );
    return { ...r, cpu_cores: cpu };
  };

  // 8. The in-process ceiling: the same work without HTTP, same concurrency and duration.
  const inProcess = async (what: 'exchange' | 'introspect'): Promise<InProcessResult> => {
    const t = await fresh();
    const req =
      what === 'exchange'
        ? spec.exchangeRequest(cast, t.task)
        : spec.introspectRequest(cast, t.tool);
    const args: InProcessArgs = {
      what,
      ...req,
      concurrency: o.connections,
      warmupMs: o.warmupSec * 1000,
      durationMs: o.durationSec * 1000,
      maxCalls: 10_000_000,
    };
    const before = snapshot(pids);
    const r = {
      ...(await A.call<InProcessResult>(
        'in-process',
        args,
        (o.warmupSec + o.durationSec) * 1000 + 60_000,
      )),
    };
    const cpu = coresUsed(before, snapshot(pids));
    Object.assign(r, { cpu_cores: { baton: cpu.baton, redis: cpu.redis } });
    if (r.errors > 0)
      throw new Error(
        `in-process ${what}: ${r.errors} of ${r.calls} calls failed (${r.firstError})`,
      );
    log(
      `8 in_process_${what}: ${Math.round(r.rps)} calls/s, p50 ${r.p50_ms.toFixed(2)} ms, p99 ${r.p99_ms.toFixed(2)} ms (${o.connections} in flight); cores ${JSON.stringify((r as { cpu_cores?: unknown }).cpu_cores)}`,
    );
    return r;
  };

  // Rounds: every scenario a ratio is taken from runs once per round, interleaved, so machine
  // noise hits Baton and the peer alike; with --runs N the median of N rounds is reported.
  const opaque = await spec.peerOpaqueToken(peer.url);
  const series: Record<
    | 'exchange'
    | 'introspect'
    | 'peer_token'
    | 'peer_introspect'
    | 'in_process_exchange'
    | 'in_process_introspect'
    | 'http_ceiling',
    Measured[]
  > = {
    exchange: [],
    introspect: [],
    peer_token: [],
    peer_introspect: [],
    in_process_exchange: [],
    in_process_introspect: [],
    http_ceiling: [],
  };
  let taskStart: LoadResult | undefined;
  for (let i = 0; i < o.runs; i++) {
    if (o.runs > 1) log(`round ${i + 1} of ${o.runs}`);
    series.http_ceiling.push(
      await runOne('9 http_ceiling', async () =>
        spec.ceilingSpec(raw.url, cast, (await fresh()).task),
      ),
    );
    series.exchange.push(
      await runOne(
        '1 exchange',
        async () => spec.exchangeSpec(A.url, cast, (await fresh()).task),
        true,
      ),
    );
    series.peer_token.push(await runOne('4 peer_token', async () => spec.peerTokenSpec(peer.url)));
    series.in_process_exchange.push(await inProcess('exchange'));
    series.introspect.push(
      await runOne(
        '3 introspect',
        async () => spec.introspectSpec(A.url, cast, (await fresh()).tool),
        true,
      ),
    );
    series.peer_introspect.push(
      await runOne('5 peer_introspect', async () => spec.peerIntrospectSpec(peer.url, opaque)),
    );
    series.in_process_introspect.push(await inProcess('introspect'));
    if (i === 0)
      taskStart = await runOne('2 task_start', async () =>
        spec.taskStartSpec(A.url, cast, await upstream.userToken()),
      );
  }
  const medianOf = o.runs > 1 ? ` (median of ${o.runs})` : '';
  found.exchange = medianEntry(
    '1',
    `Baton exchange: task → tool token${medianOf}`,
    series.exchange,
  );
  found.task_start = medianEntry('2', 'Baton task start: user → task token', [taskStart!]);
  found.introspect = medianEntry(
    '3',
    `Baton introspection of a tool token${medianOf}`,
    series.introspect,
  );
  found.peer_token = medianEntry(
    '4',
    `Peer: oidc-provider client_credentials ES256 JWT${medianOf}`,
    series.peer_token,
  );
  found.peer_introspect = medianEntry(
    '5',
    `Peer: oidc-provider introspection, opaque${medianOf}`,
    series.peer_introspect,
  );
  found.in_process_exchange = medianEntry(
    '8',
    `In-process exchange (no HTTP, ${o.connections} in flight)${medianOf}`,
    series.in_process_exchange,
  );
  found.in_process_introspect = medianEntry(
    '8',
    `In-process introspection (no HTTP, ${o.connections} in flight)${medianOf}`,
    series.in_process_introspect,
  );
  found.http_ceiling = medianEntry(
    '9',
    `HTTP ceiling: raw node:http, small JSON${medianOf}`,
    series.http_ceiling,
  );

  // What of the RSS under load is garbage not yet collected, and what stays.
  await sleep(500);
  const afterGc = await A.call<{ rss_mb: number; heap_used_mb: number } | undefined>(
    'memory-after-gc',
  );

  // 9. With the demo's Cedar policy set, when the policy engine is there.
  Object.assign(found, await policyScenario.run());

  // Optional: a CPU profile of Baton during one extra run of scenarios 1 and 3 (not counted above).
  const profiles: NonNullable<Results['profiles']> = {};
  if (o.cpuProf) {
    const show = (name: string, path: string, what: string) => {
      const summary = summariseProfile(path);
      profiles[name] = summary;
      process.stdout.write(`\n${formatProfile(summary, what)}\n`);
    };
    for (const [name, mk] of [
      ['exchange', async () => spec.exchangeSpec(A.url, cast, (await fresh()).task)],
      ['introspect', async () => spec.introspectSpec(A.url, cast, (await fresh()).tool)],
    ] as const) {
      const path = `bench/profiles/${name}.cpuprofile`;
      log(`cpu profile of Baton during ${name}`);
      const r = await drive(await mk(), settings, () => A.call('prof-start', { intervalUs: 250 }));
      await A.call('prof-stop', { path });
      show(
        name,
        path,
        `Baton during ${name} over HTTP (${Math.round(r.rps)} req/s while profiled)`,
      );
    }
    // The same exchange in-process: the difference from the HTTP profile is what HTTP costs.
    const t = await fresh();
    const path = 'bench/profiles/exchange-in-process.cpuprofile';
    log('cpu profile of Baton during the in-process exchange');
    await A.call('prof-start', { intervalUs: 250 });
    const r = await A.call<InProcessResult>(
      'in-process',
      {
        what: 'exchange',
        ...spec.exchangeRequest(cast, t.task),
        concurrency: o.connections,
        warmupMs: 0,
        durationMs: o.durationSec * 1000,
        maxCalls: 10_000_000,
      } satisfies InProcessArgs,
      o.durationSec * 1000 + 60_000,
    );
    await A.call('prof-stop', { path });
    show(
      'exchange_in_process',
      path,
      `Baton during the in-process exchange (${Math.round(r.rps)} calls/s while profiled)`,
    );
  }

  // 6. Revoke-task latency over tree sizes, then propagation to instance B and the feed.
  log(`6: revoke latency for trees of ${o.treeSizes.join(', ')} tokens`);
  const sizes = await revokeLatency(
    { store, probe, cast: seedCast, batonUrl: A.url, adminKey: ADMIN_KEY },
    o.treeSizes,
    o.treeReps,
  );
  const largest = sizes[sizes.length - 1]!;
  found.revoke_task = {
    n: '6',
    title: 'Revoke task (admin), by tree size',
    rps: null,
    p50_ms: largest.median_ms,
    p99_ms: largest.p99_ms,
    sizes,
  };
  log(`6: propagation over ${o.propagation} revocations (instance B, feed)`);
  const prop = await propagation(
    {
      urlA: A.url,
      urlB: B.url,
      adminKey: ADMIN_KEY,
      issuer: cast.issuer,
      tool: cast.tool,
      agentAuth: spec.agentAuth(cast),
      rsAuth: spec.rsAuth(cast),
      rs: cast.rs,
      userToken: () => upstream.userToken(),
    },
    o.propagation,
  );
  found.propagation = {
    n: '6',
    title: 'Revocation propagation',
    rps: null,
    p50_ms: prop.second_instance_ms.p50,
    p99_ms: prop.second_instance_ms.p99,
    ...prop,
  };

  found.redis_memory = {
    n: '7',
    title: 'Redis memory per live token',
    rps: null,
    p50_ms: null,
    p99_ms: null,
    ...Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, round(v, 1)])),
    one_task_tokens: largest.tokens,
    ...(largest.bytes_per_token_one_task !== undefined
      ? { bytes_per_token_one_task: largest.bytes_per_token_one_task }
      : {}),
  };
  const samples = rssReports.reduce((a, r) => a + r.samples, 0);
  found.baton_rss = {
    n: '7',
    title: 'Baton RSS under load (scenarios 1 and 3)',
    rps: null,
    p50_ms: null,
    p99_ms: null,
    max_mb: round(Math.max(...rssReports.map((r) => r.max_mb)), 1),
    mean_mb: round(
      rssReports.reduce((a, r) => a + r.mean_mb * r.samples, 0) / Math.max(1, samples),
      1,
    ),
    heap_used_max_mb: round(Math.max(...rssReports.map((r) => r.heap_used_max_mb)), 1),
    idle_mb: round(idle.rss_mb, 1),
    ...(afterGc
      ? {
          after_load_gc_rss_mb: round(afterGc.rss_mb, 1),
          after_load_gc_heap_used_mb: round(afterGc.heap_used_mb, 1),
        }
      : {}),
    samples,
  };

  const order = [
    'exchange',
    'task_start',
    'introspect',
    'peer_token',
    'peer_introspect',
    'in_process_exchange',
    'in_process_introspect',
    'exchange_policy',
    'introspect_policy',
    'exchange_policy_baseline',
    'introspect_policy_baseline',
    'http_ceiling',
    'revoke_task',
    'propagation',
    'redis_memory',
    'baton_rss',
  ];
  const scenarios: Scenarios = {};
  for (const k of [...order, ...Object.keys(found)])
    if (found[k] && !scenarios[k]) scenarios[k] = found[k];
  return buildResults(o, scenarios, started, {
    ...(Object.keys(profiles).length ? { profiles } : {}),
    ...(redisVersion ? { redisVersion } : {}),
    targets:
      runtime.mode === 'compiled'
        ? 'transpiled JavaScript under node, as the Dockerfile runs Baton'
        : `node --import tsx (--tsx), as npm start runs Baton${runtime.note ? ` (${runtime.note})` : ''}`,
  });
}

const opts = parseOptions(process.argv.slice(2));
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(code));
  });
const watchdog = setTimeout(() => {
  log(`deadline of ${opts.deadlineSec} s passed: aborting`);
  void cleanup().finally(() => process.exit(1));
}, opts.deadlineSec * 1000);
watchdog.unref();

main(opts).then(
  async (results) => {
    await cleanup();
    writeResults(opts.out, results);
    process.stdout.write(
      `\n${formatTable(results)}\n\nwrote ${opts.out} in ${results.elapsed_s} s\n`,
    );
    process.exit(0);
  },
  async (err: unknown) => {
    log(`FAILED: ${(err as Error).stack ?? String(err)}`);
    await cleanup();
    process.exit(1);
  },
);
