/** The one table `npm run bench` prints, and bench/results.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { Goal } from './goals.js';
import type { BenchOptions } from './options.js';
import type { ProfileSummary } from './profile.js';
import { round } from './stats.js';

export interface ScenarioEntry {
  /** Scenario number in docs/performance.md. */
  n: string;
  title: string;
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  note?: string;
  [extra: string]: unknown;
}

export type Scenarios = Record<string, ScenarioEntry>;

export interface Results {
  generated_at: string;
  node: string;
  platform: string;
  cpus: { count: number; model: string };
  settings: Record<string, unknown>;
  ratios: Record<string, number | null>;
  scenarios: Scenarios;
  /** Issue 20's goals, one line each: target, measured, met (bench/goals.ts). */
  goals: Goal[];
  profiles?: Record<
    string,
    Omit<ProfileSummary, 'baton_inclusive'> & { baton_inclusive: ProfileSummary['baton_inclusive'] }
  >;
  elapsed_s: number;
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a && b ? round(a / b, 3) : null;

export function ratios(s: Scenarios): Record<string, number | null> {
  const r = (k: string) => s[k]?.rps ?? null;
  const p99 = (k: string) => s[k]?.p99_ms ?? null;
  return {
    exchange_vs_peer_token: ratio(r('exchange'), r('peer_token')),
    introspect_vs_peer_introspect: ratio(r('introspect'), r('peer_introspect')),
    dpop_exchange_vs_peer_token: ratio(r('dpop_exchange'), r('peer_token')),
    dpop_exchange_vs_exchange: ratio(r('dpop_exchange'), r('exchange')),
    exchange_vs_in_process: ratio(r('exchange'), r('in_process_exchange')),
    exchange_vs_http_ceiling: ratio(r('exchange'), r('http_ceiling')),
    introspect_vs_in_process: ratio(r('introspect'), r('in_process_introspect')),
    introspect_vs_http_ceiling: ratio(r('introspect'), r('http_ceiling')),
    task_start_vs_peer_token: ratio(r('task_start'), r('peer_token')),
    exchange_p99_vs_peer_token_p99: ratio(p99('exchange'), p99('peer_token')),
    introspect_p99_vs_peer_introspect_p99: ratio(p99('introspect'), p99('peer_introspect')),
    exchange_policy_vs_without: ratio(r('exchange_policy'), r('exchange_policy_baseline')),
    introspect_policy_vs_without: ratio(r('introspect_policy'), r('introspect_policy_baseline')),
  };
}

export function buildResults(
  o: BenchOptions,
  scenarios: Scenarios,
  started: number,
  extra: {
    goals: Goal[];
    profiles?: Results['profiles'];
    redisVersion?: string;
    targets: string;
  },
): Results {
  const c = cpus();
  return {
    generated_at: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: { count: c.length, model: c[0]?.model ?? 'unknown' },
    settings: {
      mode: o.quick ? 'quick' : 'full',
      connections: o.connections,
      duration_s: o.durationSec,
      warmup_s: o.warmupSec,
      runs: o.runs,
      revoke_tree_sizes: o.treeSizes,
      propagation_revocations: o.propagation,
      memory_tokens: o.memoryTasks * o.memoryTokensPerTask,
      load_generator:
        'autocannon (bench process), one process per server under test, Redis on loopback',
      targets: extra.targets,
      ...(extra.redisVersion ? { redis: extra.redisVersion } : {}),
    },
    ratios: ratios(scenarios),
    scenarios,
    goals: extra.goals,
    ...(extra.profiles ? { profiles: extra.profiles } : {}),
    elapsed_s: round((Date.now() - started) / 1000, 1),
  };
}

export function writeResults(path: string, r: Results): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(r, null, 2)}\n`);
}

const fmtRps = (x: number | null) => (x === null ? '' : Math.round(x).toLocaleString('en-US'));
const fmtMs = (x: number | null) => (x === null || !Number.isFinite(x) ? '' : x.toFixed(2));
const times = (x: number | null | undefined) =>
  x === null || x === undefined ? 'n/a' : `${x.toFixed(2)}×`;

export function formatTable(r: Results): string {
  const s = r.scenarios;
  const rt = r.ratios;
  const notes: Record<string, string> = {
    dpop_exchange: `${times(rt.dpop_exchange_vs_peer_token)} peer (4); ${pct(rt.dpop_exchange_vs_exchange)} of bearer (1)`,
    exchange: `${times(rt.exchange_vs_peer_token)} peer (4); ${pct(rt.exchange_vs_in_process)} of in-process; ${pct(rt.exchange_vs_http_ceiling)} of ceiling`,
    introspect: `${times(rt.introspect_vs_peer_introspect)} peer (5); p99 ${times(rt.introspect_p99_vs_peer_introspect_p99)} peer's`,
    task_start: `${times(rt.task_start_vs_peer_token)} peer (4)`,
    exchange_policy:
      rt.exchange_policy_vs_without != null
        ? `${pct(rt.exchange_policy_vs_without)} of without policy`
        : '',
    introspect_policy:
      rt.introspect_policy_vs_without != null
        ? `${pct(rt.introspect_policy_vs_without)} of without policy`
        : '',
  };
  const rows: string[][] = [['#', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'cores', 'notes']];
  for (const [key, e] of Object.entries(s)) {
    if (e.rps === null && e.note === undefined) continue;
    if (e.rps === null) rows.push([e.n, e.title, '', '', '', '', e.note ?? 'n/a']);
    else
      rows.push([
        e.n,
        e.title,
        fmtRps(e.rps),
        fmtMs(e.p50_ms),
        fmtMs(e.p99_ms),
        cores(key, e),
        [notes[key], e.note].filter(Boolean).join('; '),
      ]);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((c, i) => (i >= 2 && i <= 5 ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
      .join('  ')
      .trimEnd();
  const st = r.settings;
  const head =
    `Baton vs oidc-provider — ${r.node}, ${r.cpus.count} × ${r.cpus.model}; autocannon ${String(st.connections)} connections, ` +
    `${String(st.warmup_s)} s warm-up + ${String(st.duration_s)} s measured per scenario${Number(st.runs) > 1 ? `, median of ${String(st.runs)} interleaved rounds` : ''}; ${String(st.targets)}`;
  const out = [
    head,
    '',
    line(rows[0]!),
    w.map((n) => '-'.repeat(n)).join('  '),
    ...rows.slice(1).map(line),
  ];

  const rv = s.revoke_task;
  if (rv) {
    const sizes = (rv.sizes as { tokens: number; median_ms: number; runs_ms: number[] }[]) ?? [];
    out.push(
      '',
      `6  revoke task (POST /admin/tasks/{txn}/revoke, median): ${sizes.map((x) => `${x.tokens.toLocaleString('en-US')} token${x.tokens === 1 ? '' : 's'} ${x.median_ms.toFixed(2)} ms (n=${x.runs_ms.length})`).join(' | ')}`,
    );
  }
  const pg = s.propagation;
  if (pg) {
    const b = pg.second_instance_ms as { p50: number; p99: number };
    const f = pg.feed_ms as { p50: number; p99: number };
    const v = pg.revoke_ms as { p50: number; p99: number };
    out.push(
      `6  propagation over ${String(pg.revocations)} revocations, from the revoke request: second instance inactive p50 ${b.p50.toFixed(2)} / p99 ${b.p99.toFixed(2)} ms; feed subscriber p50 ${f.p50.toFixed(2)} / p99 ${f.p99.toFixed(2)} ms; revoke round trip p50 ${v.p50.toFixed(2)} / p99 ${v.p99.toFixed(2)} ms`,
    );
  }
  const mem = s.redis_memory;
  if (mem) {
    out.push(
      `7  Redis per live token: ${num(mem.bytes_per_token)} B token+task records (${String(mem.tokens)} tokens, ${String(mem.tokens_per_task)} per task)` +
        (mem.bytes_per_token_one_task !== undefined
          ? `; ${num(mem.bytes_per_token_one_task)} B in one ${Number(mem.one_task_tokens).toLocaleString('en-US')}-token task`
          : ''),
      `7  audit events, on their own: +${num(mem.audit_bytes_per_token)} B per token (task stream ${num(mem.audit_task_stream_bytes_per_token)} B + global stream ${num(mem.audit_global_stream_bytes_per_token)} B)`,
    );
  }
  const memD = s.redis_memory_deployed;
  if (memD)
    out.push(
      `7  Redis per live token, deployed (issued over HTTP, Cedar context in): ${num(memD.bytes_per_token)} B (${String(memD.tokens)} tokens in ${String(memD.tasks)} tasks); their audit events apart: ${num(memD.audit_bytes_per_token)} B per token`,
    );
  const rss = s.baton_rss;
  if (rss)
    out.push(
      `7  Baton RSS under load, deployed (node --max-semi-space-size=8 dist/cli/baton.js serve; scenarios 1, 1b, 3): max ${num(rss.max_mb)} MiB, mean ${num(rss.mean_mb)} MiB; idle after boot ${num(rss.idle_mb)} MiB`,
    );
  const demo = s.demo;
  if (demo)
    out.push(
      `7  the demo (embedded IdP in process) under its exchange load: RSS max ${num(demo.rss_max_mb)} MiB, idle ${num(demo.rss_idle_mb)} MiB`,
    );
  const mw = s.middleware;
  if (mw)
    out.push(
      `10 middleware: ${num(mw.cached_checks_per_s)} checks/s (1,000 tokens × 20), distinct ${num(mw.distinct_checks_per_s)}/s = ${String(mw.distinct_vs_raw)}× raw jose, DPoP-bound ${num(mw.dpop_bound_checks_per_s)}/s; revocation seen p99 ${String(mw.revocation_seen_p99_ms)} ms (Redis)`,
    );
  out.push(
    '',
    'cores: CPU cores used during the measured run by the server (+ Redis) / the load generator (autocannon)',
  );
  out.push(
    `ratios: ${Object.entries(rt)
      .map(([k, v]) => `${k}=${v === null ? 'n/a' : v}`)
      .join('  ')}`,
  );
  return out.join('\n');
}

/** "server+redis/load generator" cores used during the measured run, e.g. "0.98+0.21/0.74". */
function cores(key: string, e: ScenarioEntry): string {
  const c = e.cpu_cores as Record<string, number> | undefined;
  if (!c) return '';
  const f = (x: number | undefined) => (x ?? 0).toFixed(2);
  if (key.startsWith('peer_')) return `${f(c.peer)}/${f(c.bench_loadgen)}`;
  if (key === 'http_ceiling') return `${f(c.raw_http)}/${f(c.bench_loadgen)}`;
  if (key.startsWith('in_process_')) return `${f(c.baton)}+${f(c.redis)}`;
  return `${f(c.baton)}+${f(c.redis)}/${f(c.bench_loadgen)}`;
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? 'n/a' : `${Math.round(x * 100)}%`;
}
function num(x: unknown): string {
  return typeof x === 'number' ? x.toFixed(0) : String(x);
}
