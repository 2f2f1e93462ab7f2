/**
 * The performance goals of issue 20 (docs/performance.md), each checked against one run's
 * figures: `bench/results.json` gets one line per goal with its target, what was measured and
 * whether it was met. Speed is never asserted: an unmet goal is reported, not failed.
 */
import type { Scenarios } from './report.js';
import { round } from './stats.js';

export interface Goal {
  goal: string;
  target: string;
  measured: number | null;
  met: boolean | null;
}

type Pick = (s: Scenarios) => number | null | undefined;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const rps =
  (k: string): Pick =>
  (s) =>
    s[k]?.rps;
const p99 =
  (k: string): Pick =>
  (s) =>
    s[k]?.p99_ms;
const field =
  (k: string, f: string): Pick =>
  (s) =>
    num(s[k]?.[f]);
const ratio =
  (a: Pick, b: Pick): Pick =>
  (s) => {
    const x = a(s);
    const y = b(s);
    return x && y ? x / y : null;
  };

const GOALS: { goal: string; target: string; value: Pick; ok: (v: number) => boolean }[] = [
  {
    goal: 'exchange (task → tool token) vs peer client_credentials',
    target: '≥ 1.5×',
    value: ratio(rps('exchange'), rps('peer_token')),
    ok: (v) => v >= 1.5,
  },
  {
    goal: 'exchange p99 vs peer client_credentials p99',
    target: '≤ 1×',
    value: ratio(p99('exchange'), p99('peer_token')),
    ok: (v) => v <= 1,
  },
  {
    goal: 'introspection vs peer introspection',
    target: '≥ 2×',
    value: ratio(rps('introspect'), rps('peer_introspect')),
    ok: (v) => v >= 2,
  },
  {
    goal: 'introspection p99 vs peer introspection p99',
    target: '≤ 0.5×',
    value: ratio(p99('introspect'), p99('peer_introspect')),
    ok: (v) => v <= 0.5,
  },
  {
    goal: 'DPoP-bound exchange vs peer client_credentials',
    target: '≥ 1.2×',
    value: ratio(rps('dpop_exchange'), rps('peer_token')),
    ok: (v) => v >= 1.2,
  },
  {
    goal: 'Baton RSS under load, deployed config (MiB, max)',
    target: '≤ 150',
    value: field('baton_rss', 'max_mb'),
    ok: (v) => v <= 150,
  },
  {
    goal: 'Redis bytes per live token, deployed config (policy context in, audit apart)',
    target: '≤ 400',
    value: field('redis_memory_deployed', 'bytes_per_token'),
    ok: (v) => v <= 400,
  },
  {
    goal: 'middleware local checks/s (1,000 tokens × 20 uses)',
    target: '≥ 20,000',
    value: field('middleware', 'cached_checks_per_s'),
    ok: (v) => v >= 20_000,
  },
  {
    goal: 'middleware distinct-token checks vs raw jose jwtVerify',
    target: '≥ 0.8×',
    value: field('middleware', 'distinct_vs_raw'),
    ok: (v) => v >= 0.8,
  },
  {
    goal: 'revocation seen by the middleware, p99 ms (Redis store)',
    target: '≤ 50',
    value: field('middleware', 'revocation_seen_p99_ms'),
    ok: (v) => v <= 50,
  },
];

export function checkGoals(s: Scenarios): Goal[] {
  return GOALS.map((g) => {
    const v = num(g.value(s));
    return {
      goal: g.goal,
      target: g.target,
      measured: v === null ? null : round(v, 3),
      met: v === null ? null : g.ok(v),
    };
  });
}

export function formatGoals(goals: Goal[]): string {
  const w = Math.max(...goals.map((g) => g.goal.length));
  return [
    'goals (issue 20):',
    ...goals.map(
      (g) =>
        `  ${g.goal.padEnd(w)}  ${g.target.padEnd(9)}  ${String(g.measured ?? 'n/a').padStart(9)}  ${g.met === null ? 'not measured' : g.met ? 'met' : 'NOT MET'}`,
    ),
  ].join('\n');
}
