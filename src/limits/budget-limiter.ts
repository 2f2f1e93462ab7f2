import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Budget } from '../config/schema.js';
import type { BudgetTake, RateLimitStore } from '../store/store.js';

export interface BudgetLimiterOptions {
  /** The budget every instance shares (the store); absent, the in-process bucket is all. */
  shared?: RateLimitStore;
  /** Most points taken from the shared budget at once. */
  lease: number;
  /** A shared take slower than this is abandoned (the in-process bucket decides alone). */
  storeTimeoutMs: number;
  /** After a failed or slow shared take, the in-process bucket decides alone for this long. */
  storeBackoffMs: number;
  onStoreError?(err: unknown): void;
}

/** Points of the shared budget this instance holds for one key, for the current window. */
interface Lease {
  granted: number;
  /** What the shared budget had left at the last take (sizes the next lease). */
  remaining: number;
  endsAt: number;
  /** The shared budget is spent until then. */
  blockedUntil: number;
  inflight?: Promise<void>;
}

/** Leases kept before expired ones are swept (keys are clients, or addresses that failed). */
const LEASES_SWEEP_AT = 10_000;

/**
 * A budget per key in two tiers. In front, `rate-limiter-flexible`'s RateLimiterMemory: one
 * fixed-window bucket per key in this process, so a client over its budget is refused without a
 * store call. Behind it, the budget shared by every instance, taken from the store in leases:
 * an instance reserves up to `lease` points with one call and spends them in process, so the
 * store is asked once per lease, and one point at a time near the limit (a lease is at most a
 * quarter of what was left). A store that fails or hangs is not waited for: the in-process
 * bucket alone decides until `storeBackoffMs` has passed (fail open to the local limit, never
 * a request held behind a hung store).
 */
export class BudgetLimiter {
  private readonly local = new Map<string, RateLimiterMemory>();
  private readonly leases = new Map<string, Lease>();
  private storeDownUntil = 0;

  constructor(private readonly opts: BudgetLimiterOptions) {}

  /** Spends one point of `key`'s budget: undefined when allowed, else ms until it may retry. */
  async take(key: string, budget: Budget): Promise<number | undefined> {
    try {
      await this.bucket(budget).consume(key);
    } catch (e) {
      if (e instanceof RateLimiterRes) return e.msBeforeNext;
      throw e;
    }
    return this.opts.shared ? this.takeShared(key, budget) : undefined;
  }

  /** Whether `key`'s budget is spent (without spending): ms until it may retry, if so. */
  async spent(key: string, budget: Budget): Promise<number | undefined> {
    const res = await this.bucket(budget).get(key);
    if (res && res.consumedPoints >= budget.requests) return res.msBeforeNext;
    const lease = this.leases.get(leaseKey(key, budget));
    const now = Date.now();
    return lease && lease.blockedUntil > now ? lease.blockedUntil - now : undefined;
  }

  private bucket(budget: Budget): RateLimiterMemory {
    const id = `${budget.requests}/${budget.windowSeconds}`;
    let b = this.local.get(id);
    if (!b) {
      b = new RateLimiterMemory({ points: budget.requests, duration: budget.windowSeconds });
      this.local.set(id, b);
    }
    return b;
  }

  private async takeShared(key: string, budget: Budget): Promise<number | undefined> {
    const lease = this.lease(leaseKey(key, budget), budget);
    for (;;) {
      const now = Date.now();
      if (lease.blockedUntil > now) return lease.blockedUntil - now;
      if (lease.granted > 0) {
        lease.granted--;
        return undefined;
      }
      if (this.storeDownUntil > now) return undefined;
      // One take in flight per key: requests arriving meanwhile share its lease.
      lease.inflight ??= this.refill(lease, key, budget).finally(() => {
        lease.inflight = undefined;
      });
      await lease.inflight;
    }
  }

  private lease(k: string, budget: Budget): Lease {
    const now = Date.now();
    let lease = this.leases.get(k);
    if (lease && lease.endsAt <= now && !lease.inflight) lease = undefined;
    if (!lease) {
      if (this.leases.size >= LEASES_SWEEP_AT)
        for (const [key, l] of this.leases)
          if (l.endsAt <= now && !l.inflight) this.leases.delete(key);
      lease = { granted: 0, remaining: budget.requests, endsAt: 0, blockedUntil: 0 };
      this.leases.set(k, lease);
    }
    return lease;
  }

  private async refill(lease: Lease, key: string, budget: Budget): Promise<void> {
    const want = Math.max(1, Math.min(this.opts.lease, Math.floor(lease.remaining / 4)));
    let took: BudgetTake;
    try {
      took = await withTimeout(
        this.opts.shared!.takeBudget(key, want, budget.windowSeconds),
        this.opts.storeTimeoutMs,
      );
    } catch (e) {
      this.storeDownUntil = Date.now() + this.opts.storeBackoffMs;
      this.opts.onStoreError?.(e);
      return;
    }
    const now = Date.now();
    // The points of this take that were still within the budget (the rest over-count, which
    // only refuses sooner, within the window already spent).
    const room = Math.max(0, Math.min(want, budget.requests - (took.consumed - want)));
    lease.granted = room;
    lease.remaining = Math.max(0, budget.requests - took.consumed);
    lease.endsAt = now + took.msBeforeReset;
    lease.blockedUntil = room === 0 ? lease.endsAt : 0;
  }
}

const leaseKey = (key: string, budget: Budget) => `${budget.windowSeconds}\u0000${key}`;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`shared budget took over ${ms} ms`)), ms);
  });
  p.catch(() => {}); // a take abandoned by the timeout may still fail later
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
