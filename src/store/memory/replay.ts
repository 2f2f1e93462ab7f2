import { epochSeconds } from '../../clock.js';
import { onceKey } from '../once-key.js';
import type { ReplayStore } from '../store.js';

/** Single-use ids, each held until its expiry (epoch seconds). */
export class MemoryReplay implements ReplayStore {
  private readonly seen = new Map<string, number>();

  async useOnce(namespace: string, id: string, expSeconds: number): Promise<boolean> {
    const k = onceKey(namespace, id);
    const exp = this.seen.get(k);
    if (exp !== undefined && exp > epochSeconds()) return false;
    this.seen.set(k, expSeconds);
    return true;
  }

  sweep(now: number): void {
    for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
  }
}
