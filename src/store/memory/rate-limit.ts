import type { BudgetTake, RateLimitStore } from '../store.js';

/** Fixed-window counters in process: the shared budget of instances that share this store. */
export class MemoryRateLimits implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  async takeBudget(key: string, points: number, windowSeconds: number): Promise<BudgetTake> {
    const now = Date.now();
    const k = `${windowSeconds}\u0000${key}`;
    let w = this.windows.get(k);
    if (!w || w.endsAt <= now) {
      w = { count: 0, endsAt: now + windowSeconds * 1000 };
      this.windows.set(k, w);
    }
    w.count += points;
    return { consumed: w.count, msBeforeReset: w.endsAt - now };
  }

  sweep(): void {
    const now = Date.now();
    for (const [k, w] of this.windows) if (w.endsAt <= now) this.windows.delete(k);
  }
}
