import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { BudgetTake, RateLimitStore } from '../store.js';
import { guarded, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

/**
 * Shared rate-limit budgets: `rate-limiter-flexible`'s RateLimiterRedis (one INCRBY-and-expire
 * script per take, on the key's own slot). Used as a counter: its `points` is unbounded and
 * src/limits/ compares the count with the budget, so one take can reserve a lease of points.
 */
export class RedisRateLimits implements RateLimitStore {
  private readonly byWindow = new Map<number, RateLimiterRedis>();

  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
  ) {}

  takeBudget(key: string, points: number, windowSeconds: number): Promise<BudgetTake> {
    return guarded(async () => {
      const res = await this.limiter(windowSeconds).consume(this.k.rateLimitKey(key), points);
      return { consumed: res.consumedPoints, msBeforeReset: Math.max(0, res.msBeforeNext) };
    });
  }

  private limiter(windowSeconds: number): RateLimiterRedis {
    let l = this.byWindow.get(windowSeconds);
    if (!l) {
      l = new RateLimiterRedis({
        storeClient: this.client,
        keyPrefix: this.k.rateLimitPrefix(windowSeconds),
        points: Number.MAX_SAFE_INTEGER,
        duration: windowSeconds,
      });
      this.byWindow.set(windowSeconds, l);
    }
    return l;
  }
}
