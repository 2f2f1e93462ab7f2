/**
 * Drives one HTTP scenario with autocannon: a warm-up run, then the measured run, both with the
 * same connections; every run is bounded by its duration and a watchdog. Latencies come from
 * autocannon's per-response times (float ms) rather than its 1 ms histogram buckets, so p50/p99
 * of a few milliseconds are not rounded to whole numbers.
 */
import autocannon from 'autocannon';
import { LatencySample, withTimeout } from './stats.js';

export interface LoadSettings {
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** Most requests of the measured run and of the warm-up (a run ends at its duration or these). */
  maxRequests?: { measured: number; warmup: number };
}

export interface LoadSpec {
  title: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** A cheap check of each 2xx body (counted as a mismatch when false). */
  verify?: (body: string) => boolean;
  /** Headers that differ on every request (a single-use DPoP proof), added per send. */
  perRequest?: () => Record<string, string>;
}

export interface LoadResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  duration_s: number;
  /** autocannon's own figures, for reference (its latency histogram has 1 ms resolution). */
  autocannon: { requests_average: number; latency_p50: number; latency_p99: number };
}

function once(
  spec: LoadSpec,
  connections: number,
  durationSec: number,
  sample?: LatencySample,
  amount?: number,
): Promise<autocannon.Result & { activeSec: number }> {
  const started = performance.now();
  let lastResponse = started;
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: spec.url,
        method: spec.method ?? 'POST',
        headers: spec.headers ?? {},
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        ...(spec.perRequest
          ? {
              requests: [
                {
                  setupRequest: (req: autocannon.Request) => ({
                    ...req,
                    headers: { ...req.headers, ...spec.perRequest!() },
                  }),
                },
              ],
            }
          : {}),
        connections,
        duration: durationSec,
        // Clients stop at this many requests; autocannon still waits out the duration, so a
        // capped run's rate is taken over the time until its last response (activeSec).
        ...(amount !== undefined ? { maxOverallRequests: amount } : {}),
        pipelining: 1,
        timeout: 10,
        ...(spec.verify ? { verifyBody: (b: unknown) => spec.verify!(String(b)) } : {}),
      },
      (err: unknown, result: autocannon.Result) =>
        err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result),
    );
    instance.on(
      'response',
      (_client: autocannon.Client, statusCode: number, _bytes: number, responseTime: number) => {
        lastResponse = performance.now();
        if (sample && statusCode >= 200 && statusCode < 300) sample.add(responseTime);
      },
    );
  });
  const result = done.then((r) => ({
    ...r,
    activeSec:
      amount !== undefined && r.requests.total >= amount
        ? (lastResponse - started) / 1000
        : r.duration,
  }));
  return withTimeout(result, (durationSec + 30) * 1000, `autocannon ${spec.title}`).catch(
    (e: unknown) => {
      instance?.stop();
      throw e;
    },
  );
}

/** Warm-up, then the measured run; `beforeMeasure` runs between them (start a profile, a sampler). */
export async function drive(
  spec: LoadSpec,
  s: LoadSettings,
  beforeMeasure?: () => Promise<unknown>,
): Promise<LoadResult> {
  if (s.warmupSec > 0)
    await once(spec, s.connections, s.warmupSec, undefined, s.maxRequests?.warmup);
  await beforeMeasure?.();
  const sample = new LatencySample();
  const r = await once(spec, s.connections, s.durationSec, sample, s.maxRequests?.measured);
  const ok = r.requests.total - r.non2xx;
  const result: LoadResult = {
    rps: ok / r.activeSec,
    p50_ms: sample.quantile(0.5),
    p99_ms: sample.quantile(0.99),
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    mismatches: r.mismatches,
    duration_s: r.activeSec,
    autocannon: {
      requests_average: r.requests.average,
      latency_p50: r.latency.p50,
      latency_p99: r.latency.p99,
    },
  };
  // A run that mostly failed measured the wrong thing: say so loudly (speed itself is never asserted).
  if (ok === 0 || r.non2xx + r.errors + r.mismatches > r.requests.total * 0.01)
    throw new Error(
      `${spec.title}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.mismatches} mismatches of ${r.requests.total} requests (status codes ${JSON.stringify(r.statusCodeStats)})`,
    );
  return result;
}
