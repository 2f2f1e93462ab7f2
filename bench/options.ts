/** Command line of `npm run bench`: every bound of the run is decided here. */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  quick: boolean;
  /** Scenarios 1, 3, 4, 5, 8 and the HTTP ceiling are repeated this many times (interleaved); the median is reported. */
  runs: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** Take a CPU profile of Baton during one extra run each of scenarios 1 and 3. */
  cpuProf: boolean;
  /** Run the servers under test as transpiled JavaScript (as the Dockerfile runs Baton); `--tsx` runs them under tsx. */
  compiled: boolean;
  out: string;
  /** Revoke-latency trees and how many fresh trees each size is revoked from. */
  treeSizes: number[];
  treeReps: (size: number) => number;
  /** Revocations timed for propagation. */
  propagation: number;
  /** Scenario 7: tasks × tokens per task seeded for the memory figures. */
  memoryTasks: number;
  memoryTokensPerTask: number;
  /** The whole bench is aborted (and cleaned up) past this. */
  deadlineSec: number;
  /** Rate limits on (with budgets no scenario reaches, so every check runs) or off. */
  rateLimits: boolean;
  /** Baton's signing key and the bench agent's DPoP key (the peer signs ES256 whatever this is). */
  alg: BenchAlg;
}

export type BenchAlg = 'ES256' | 'EdDSA';

/**
 * The bench configures its rate limits itself rather than trusting the defaults: on, with
 * budgets no scenario can reach (one agent drives thousands of requests a second), so each
 * request pays the whole check (in-process bucket, shared leases on Redis) and none is refused.
 */
export function benchRateLimits(on: boolean): Record<string, unknown> {
  const unreachable = { requests: 1_000_000_000, windowSeconds: 60 };
  return on
    ? {
        agent: unreachable,
        resourceServer: unreachable,
        feedConnections: unreachable,
        authFailures: { perAddress: unreachable, perClient: unreachable },
      }
    : { enabled: false };
}

const USAGE = `npm run bench -- [--quick] [--runs N] [--connections N] [--duration S] [--warmup S] [--cpu-prof] [--tsx] [--out FILE]
  --quick        every scenario for ~1-2 s (CI); revoke trees up to 10,000 tokens
  --runs N       repeat scenarios 1, 3, 4, 5 (and 8 and the HTTP ceiling, their ratios' bases) N times,
                 interleaved, and report the median (default 1)
  --connections  autocannon connections, and in-flight calls in-process (default 32)
  --duration S   measured seconds per HTTP scenario (default 10, quick 1)
  --warmup S     warm-up seconds before each (default 3, quick 0.5)
  --cpu-prof     profile Baton during an extra run of scenarios 1 and 3 (bench/profiles/)
  --tsx          run the servers under tsx (as npm start does) instead of as transpiled JavaScript
                 (as the Dockerfile runs Baton; ~40 MB less RSS)
  --out FILE     results file (default bench/results.json)
  --rate-limits on|off  rate limits with unreachable budgets (default on), or none, to see their cost
  --alg ES256|EdDSA  Baton's signing key and the agent's DPoP proof key (default ES256, as the
                 goals are stated; the peer signs ES256 either way)`;

function num(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`--${name} must be a number from ${min} to ${max}\n${USAGE}`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      tsx: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
      'rate-limits': { type: 'string', default: 'on' },
      alg: { type: 'string', default: 'ES256' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  if (values['rate-limits'] !== 'on' && values['rate-limits'] !== 'off')
    throw new Error(`--rate-limits must be on or off\n${USAGE}`);
  if (values.alg !== 'ES256' && values.alg !== 'EdDSA')
    throw new Error(`--alg must be ES256 or EdDSA\n${USAGE}`);
  const runs = Math.round(num(values.runs, 'runs', 1, 9) ?? 1);
  return {
    quick,
    runs,
    connections: Math.round(num(values.connections, 'connections', 1, 1024) ?? 32),
    durationSec: num(values.duration, 'duration', 0.5, 120) ?? (quick ? 1 : 10),
    warmupSec: num(values.warmup, 'warmup', 0, 60) ?? (quick ? 0.5 : 3),
    cpuProf: values['cpu-prof'] === true,
    compiled: values.tsx !== true,
    out: values.out ?? 'bench/results.json',
    treeSizes: quick ? [1, 1_000, 10_000] : [1, 1_000, 100_000],
    treeReps: (size) => (quick ? 3 : size >= 100_000 ? 3 : 7),
    propagation: quick ? 10 : 50,
    memoryTasks: quick ? 200 : 3_000,
    memoryTokensPerTask: 10,
    deadlineSec: quick ? 240 : 1_200,
    rateLimits: values['rate-limits'] === 'on',
    alg: values.alg,
  };
}
