import type { ReplayCache } from '../options.js';

/**
 * The in-process replay cache for DPoP proof `jti`s (RFC 9449 §11.1), bounded in time (an entry
 * lives until its proof could no longer pass the `iat` window) and in size. When it is full of
 * live entries, new proofs are refused rather than old ones forgotten (forgetting one would let
 * its proof be replayed): `useOnce` then throws, and the verifier answers 503.
 */
export class MemoryReplayCache implements ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly max: number) {}

  useOnce(key: string, expSeconds: number): boolean {
    const now = Date.now() / 1000;
    if (this.seen.size >= this.max) this.sweep(now);
    const exp = this.seen.get(key);
    if (exp !== undefined && exp > now) return false;
    if (this.seen.size >= this.max) throw new RangeError('DPoP replay cache is full');
    // Re-inserted at the end: insertion order stays close to expiry order, so sweeps stop early.
    this.seen.delete(key);
    this.seen.set(key, expSeconds);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    for (const [k, exp] of this.seen) {
      if (exp > now) break;
      this.seen.delete(k);
    }
  }
}
