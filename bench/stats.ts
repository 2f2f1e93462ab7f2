/** Small numeric helpers shared by the bench modules. */

/** The q-quantile (0..1) of `xs` by nearest rank on a sorted copy; NaN for an empty list. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

export const round = (x: number, digits = 2): number =>
  Number.isFinite(x) ? Number(x.toFixed(digits)) : x;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` unless `p` settles first (the timer never keeps the process alive). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Latencies kept as a bounded sample: every value until `cap`, then a uniform reservoir
 * (Algorithm R with a deterministic LCG), so memory stays bounded on long runs.
 */
export class LatencySample {
  private readonly values: number[] = [];
  private seen = 0;
  private rng = 0x2545f491;
  constructor(private readonly cap = 500_000) {}

  add(ms: number): void {
    this.seen++;
    if (this.values.length < this.cap) {
      this.values.push(ms);
      return;
    }
    this.rng = (Math.imul(this.rng, 1664525) + 1013904223) >>> 0;
    const j = this.rng % this.seen;
    if (j < this.cap) this.values[j] = ms;
  }

  get count(): number {
    return this.seen;
  }

  quantile(q: number): number {
    return quantile(this.values, q);
  }
}
