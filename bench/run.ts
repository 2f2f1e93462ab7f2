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
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ISSUER, makeUpstream, rawTestConfig, startRedisServer } from '../test/support/index.js';
import { DEMO, demoResources } from '../src/demo/cast.js';
import { DEMO_CLI_CLIENT } from '../src/demo/idp.js';
import { createKey } from '../src/keys/keyset.js';
import {
  ensureBuilt,
  freePort,
  removeDir,
  rssMbOf,
  sampleRss,
  startCli,
  writeDeployedConfig,
  type DeployedProcess,
} from './deployed.js';
import { measureDeployedMemory } from './deployed-memory.js';
import { proofKey, proofPool } from './dpop-proofs.js';
import { checkGoals, formatGoals } from './goals.js';
import { postForm } from './http.js';
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

  ensureBuilt(log);
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
  // Baton as users deploy it (bench/deployed.ts): A under load, B for propagation, both the
  // built CLI on the deployed config; A first, so it generates the key both instances use.
  const [portA, portB] = [await freePort(), await freePort()];
  const deployed = writeDeployedConfig({
    issuer: ISSUER,
    upstream,
    redisUrl: redis.url,
    prefix: PREFIX,
    port: portA,
    rateLimits: o.rateLimits,
    alg: o.alg,
  });
  cleanups.push(async () => removeDir(deployed.dir));
  const cli = (name: string, port: number, nodeArgs: string[] = []) =>
    startCli({
      name,
      port,
      env: { BATON_CONFIG: deployed.configPath },
      logDir: deployed.dir,
      nodeArgs,
    }).then((p) => {
      cleanups.push(() => p.stop());
      return p;
    });
  const A = await cli('baton-A', portA);
  const B = await cli('baton-B', portB);
  const [children, policyScenario] = await Promise.all([
    Promise.all([
      // Scenario 8's in-process ceiling: the same config and key, booted in a bench target.
      spawnTarget('baton', 'baton-in-process', {
        rawConfig: { ...deployed.raw, logLevel: 'silent', port: 0 },
      }),
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
  const [inProc, peer, raw] = children as [TargetChild, TargetChild, TargetChild];
  log(
    `baton A ${A.url} (pid ${A.pid}, node --max-semi-space-size=8 dist/cli/baton.js serve), baton B ${B.url}, oidc-provider ${peer.url}, raw node:http ${raw.url}`,
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
  const cast = deployed.cast;
  const seedCast: SeedCast = {
    issuer: cast.issuer,
    tool: cast.tool,
    owner: cast.agent.id,
    handOffTo: 'billing-agent',
    sub: 'alice@example.com',
  };
  const found: Record<string, ScenarioEntry> = {};
  const idle = { rss_mb: rssMbOf(A.pid) };

  // 7. Redis memory per live token, first, while nothing else writes.
  await sleep(300);
  log(
    `7: Redis memory, ${o.memoryTasks} tasks × ${o.memoryTokensPerTask} tokens, without and with audit events`,
  );
  const mem = await measureMemory(store, probe, seedCast, o.memoryTasks, o.memoryTokensPerTask);
  log('7: Redis memory per live token as the deployed Baton writes it, over HTTP');
  const memDeployed = await measureDeployedMemory({
    url: A.url,
    cast,
    probe,
    prefix: PREFIX,
    userToken: () => upstream.userToken(),
    tasks: o.quick ? 100 : 1_000,
    toolsPerTask: 9,
  });

  // Throughput scenarios. Fresh tokens before each run, so none expires mid-run.
  const fresh = async () => {
    const task = await spec.startTaskOn(A.url, cast, await upstream.userToken());
    return { task, tool: await spec.toolTokenOn(A.url, cast, task) };
  };
  const rssReports: Omit<RssReport, 'heap_used_max_mb'>[] = [];
  // Each measured run records the cores each process used (what bounds it on a small machine).
  const runOne = async (
    key: string,
    s: () => Promise<LoadSpec>,
    rss = false,
  ): Promise<LoadResult & { cpu_cores: Record<string, number> }> => {
    const sp = await s();
    log(`${key}: ${sp.url}`);
    let before: CpuSnapshot | undefined;
    let stopRss: (() => Omit<RssReport, 'heap_used_max_mb'>) | undefined;
    const start = async () => {
      if (rss) stopRss = sampleRss(A.pid, 100);
      before = snapshot(pids);
    };
    let r: LoadResult;
    try {
      r = await drive(sp, settings, start);
    } finally {
      if (stopRss) rssReports.push(stopRss());
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
      ...(await inProc.call<InProcessResult>(
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
  // The DPoP-bound exchange (RFC 9449): a task token bound to the agent's key, a fresh proof
  // per request from a pool signed before the run (bench/dpop-proofs.ts).
  const agentKey = await proofKey(o.alg);
  const htu = `${ISSUER}/token`;
  const TE = {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  };
  const dpopSpec = async (url: string): Promise<LoadSpec> => {
    const bound = await postForm(
      `${url}/token`,
      { ...TE, subject_token: await upstream.userToken(), audience: cast.issuer },
      { authorization: spec.agentAuth(cast), dpop: agentKey.proof('POST', htu) },
    );
    if (bound.token_type !== 'DPoP') throw new Error('the bound task start was not DPoP-bound');
    // Enough proofs for the warm-up and the run at 8,000 req/s; past that the run fails loudly.
    const next = proofPool(agentKey, 'POST', htu, Math.ceil((o.warmupSec + o.durationSec) * 8_000));
    return {
      ...spec.exchangeSpec(url, cast, String(bound.access_token), 'dpop exchange'),
      perRequest: () => ({ dpop: next() }),
    };
  };

  // Rounds: every scenario a ratio is taken from runs once per round, interleaved, so machine
  // noise hits Baton and the peer alike; with --runs N the median of N rounds is reported.
  const opaque = await spec.peerOpaqueToken(peer.url);
  const series: Record<
    | 'exchange'
    | 'dpop_exchange'
    | 'introspect'
    | 'peer_token'
    | 'peer_introspect'
    | 'in_process_exchange'
    | 'in_process_introspect'
    | 'http_ceiling',
    Measured[]
  > = {
    exchange: [],
    dpop_exchange: [],
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
    series.dpop_exchange.push(await runOne('1b dpop_exchange', () => dpopSpec(A.url), true));
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
  found.dpop_exchange = medianEntry(
    '1b',
    `Baton exchange, DPoP-bound, a fresh proof each${medianOf}`,
    series.dpop_exchange,
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

  // 9. With the demo's Cedar policy set, when the policy engine is there.
  Object.assign(found, await policyScenario.run());

  // The demo as `npm start` serves it (embedded IdP in process), on its own line: its exchange
  // and RSS under that load, alice's token from the demo IdP's password grant.
  found.demo = await measureDemo(settings, redis.url, log);

  // Optional: a CPU profile of the deployed Baton during one extra run of scenarios 1, 1b and 3
  // (not counted above): a third instance under `node --cpu-prof`, stopped after each run.
  const profiles: NonNullable<Results['profiles']> = {};
  if (o.cpuProf) {
    for (const [name, mk] of [
      ['exchange', async (u: string) => spec.exchangeSpec(u, cast, (await fresh()).task)],
      ['dpop-exchange', (u: string) => dpopSpec(u)],
      ['introspect', async (u: string) => spec.introspectSpec(u, cast, (await fresh()).tool)],
    ] as const) {
      const dir = `${ROOT_DIR}bench/profiles`;
      const profName = `${name}.cpuprofile`;
      log(`cpu profile of the deployed Baton during ${name}`);
      const spawned = Date.now();
      const P = await cli(`baton-prof-${name}`, await freePort(), [
        '--cpu-prof',
        '--cpu-prof-interval=250',
        `--cpu-prof-dir=${dir}`,
        `--cpu-prof-name=${profName}`,
      ]);
      const loadSpec = await mk(P.url);
      // Start-up (Cedar's wasm compiled, the policy loaded) and the warm-up are left out.
      const skipMs = Date.now() - spawned + settings.warmupSec * 1000;
      const r = await drive(loadSpec, settings);
      await P.stop();
      const summary = summariseProfile(`${dir}/${profName}`, 20, skipMs);
      profiles[name] = summary;
      process.stdout.write(
        `\n${formatProfile(summary, `Baton during ${name} over HTTP (${Math.round(r.rps)} req/s while profiled; the measured run only)`)}\n`,
      );
    }
  }

  // 6. Revoke-task latency over tree sizes, then propagation to instance B and the feed.
  log(`6: revoke latency for trees of ${o.treeSizes.join(', ')} tokens`);
  const sizes = await revokeLatency(
    { store, probe, cast: seedCast, batonUrl: A.url, adminKey: DEMO.adminKey },
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
      adminKey: DEMO.adminKey,
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
  found.redis_memory_deployed = {
    n: '7',
    title: 'Redis memory per live token, deployed (HTTP-issued, policy context in, audit apart)',
    rps: null,
    p50_ms: null,
    p99_ms: null,
    ...Object.fromEntries(Object.entries(memDeployed).map(([k, v]) => [k, round(v, 1)])),
  };
  const samples = rssReports.reduce((a, r) => a + r.samples, 0);
  found.baton_rss = {
    n: '7',
    title: 'Baton RSS under load, deployed (scenarios 1, 1b and 3)',
    rps: null,
    p50_ms: null,
    p99_ms: null,
    max_mb: round(Math.max(...rssReports.map((r) => r.max_mb)), 1),
    mean_mb: round(
      rssReports.reduce((a, r) => a + r.mean_mb * r.samples, 0) / Math.max(1, samples),
      1,
    ),
    idle_mb: round(idle.rss_mb, 1),
    samples,
  };

  // The resource-server middleware's own scenarios (bench/middleware.ts), in a process of its own.
  found.middleware = await measureMiddleware(o, log);

  const order = [
    'exchange',
    'dpop_exchange',
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
    'redis_memory_deployed',
    'baton_rss',
    'demo',
    'middleware',
  ];
  const scenarios: Scenarios = {};
  for (const k of [...order, ...Object.keys(found)])
    if (found[k] && !scenarios[k]) scenarios[k] = found[k];
  return buildResults(o, scenarios, started, {
    goals: checkGoals(scenarios),
    ...(Object.keys(profiles).length ? { profiles } : {}),
    ...(redisVersion ? { redisVersion } : {}),
    targets:
      runtime.mode === 'compiled'
        ? `Baton A and B: node --max-semi-space-size=8 dist/cli/baton.js serve (as the Dockerfile runs it) on the deployed config (bench/deployed.ts), signing ${o.alg}, DPoP proofs ${o.alg}; the peer and scenarios 8 and 9: transpiled JavaScript under node`
        : `node --import tsx (--tsx), as npm start runs Baton${runtime.note ? ` (${runtime.note})` : ''}`,
  });
}

const ROOT_DIR = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);

/** The demo as `npm start` serves it (embedded IdP), built: its exchange and its RSS under it. */
async function measureDemo(
  settings: { connections: number; durationSec: number; warmupSec: number },
  redisUrl: string,
  log: (m: string) => void,
): Promise<ScenarioEntry> {
  const port = await freePort();
  const idpPort = await freePort();
  const dir = (await import('node:fs')).mkdtempSync(
    `${(await import('node:os')).tmpdir()}/baton-demo-`,
  );
  let demo: DeployedProcess | undefined;
  try {
    demo = await startCli({
      name: 'demo',
      port,
      env: { DEMO_IDP_PORT: String(idpPort), REDIS_URL: redisUrl },
      logDir: dir,
    });
    const issuer = `http://localhost:${port}`;
    const user = await postForm(
      `http://127.0.0.1:${idpPort}${DEMO_CLI_CLIENT.tokenPath}`,
      {
        grant_type: 'password',
        username: DEMO.user.username,
        password: DEMO.user.password,
        scope: 'tickets:read tickets:write',
      },
      {
        authorization: `Basic ${Buffer.from(`${DEMO_CLI_CLIENT.id}:${DEMO_CLI_CLIENT.secret}`).toString('base64')}`,
      },
    );
    const demoCast: spec.BatonCast = {
      issuer,
      tool: demoResources(port).tickets,
      agent: { id: 'support-agent', secret: DEMO.agents['support-agent'] },
      rs: { id: DEMO.tools.tickets.rs, secret: DEMO.tools.tickets.secret },
    };
    const task = await spec.startTaskOn(demo.url, demoCast, String(user.access_token));
    const idle = demo.rssMb();
    let stop: (() => { max_mb: number; mean_mb: number; samples: number }) | undefined;
    const pid = demo.pid;
    const r = await drive(
      spec.exchangeSpec(demo.url, demoCast, task, 'demo exchange'),
      // The demo keeps its default rate limits (6,000 requests a minute per agent, one window):
      // it is driven for 1 s and at most 5,000 requests in all, so a fast machine stays within
      // the agent's budget (429s would fail the run).
      {
        ...settings,
        durationSec: Math.min(settings.durationSec, 1),
        warmupSec: Math.min(settings.warmupSec, 0.5),
        maxRequests: { warmup: 1_000, measured: 4_000 },
      },
      async () => {
        stop = sampleRss(pid, 100);
      },
    );
    const rss = stop!();
    log(
      `demo: exchange ${Math.round(r.rps)} req/s, RSS max ${rss.max_mb.toFixed(0)} MiB (idle ${idle.toFixed(0)})`,
    );
    return {
      ...entry('7', 'The demo (npm start, embedded IdP in process), built: exchange', {
        rps: r.rps,
        p50_ms: r.p50_ms,
        p99_ms: r.p99_ms,
      }),
      rss_idle_mb: round(idle, 1),
      rss_max_mb: round(rss.max_mb, 1),
      rss_mean_mb: round(rss.mean_mb, 1),
      store: 'redis (REDIS_URL)',
    };
  } finally {
    await demo?.stop();
    removeDir(dir);
  }
}

/** bench/middleware.ts in its own process; its JSON folded into one scenario line. */
async function measureMiddleware(
  o: BenchOptions,
  log: (m: string) => void,
): Promise<ScenarioEntry> {
  log('middleware: npm run bench:middleware');
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'bench/middleware.ts', ...(o.quick ? ['--quick'] : [])],
    { cwd: ROOT_DIR, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const m = JSON.parse(stdout) as Record<string, unknown>;
  const med = (k: string) => {
    const v = m[k];
    return Array.isArray(v) ? median(v as number[]) : null;
  };
  const redisSeen = m.revocation_seen_ms_redis as { p50?: number; p99?: number } | undefined;
  return {
    n: '10',
    title: 'Resource-server middleware (local check, feed attached)',
    rps: med('reuse_1000x20_checks_per_s'),
    p50_ms: null,
    p99_ms: null,
    cached_checks_per_s: med('reuse_1000x20_checks_per_s'),
    distinct_checks_per_s: med('distinct_checks_per_s'),
    raw_jose_verify_per_s: med('raw_jose_verify_per_s'),
    distinct_vs_raw: med('distinct_vs_raw'),
    dpop_bound_checks_per_s: med('dpop_bound_checks_per_s'),
    revocation_seen_p99_ms: redisSeen?.p99 ?? null,
    raw: m,
  };
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
      `\n${formatTable(results)}\n\n${formatGoals(results.goals)}\n\nwrote ${opts.out} in ${results.elapsed_s} s\n`,
    );
    process.exit(0);
  },
  async (err: unknown) => {
    log(`FAILED: ${(err as Error).stack ?? String(err)}`);
    await cleanup();
    process.exit(1);
  },
);
