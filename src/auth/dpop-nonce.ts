import { createHmac, timingSafeEqual } from 'node:crypto';
import { epochSeconds } from '../clock.js';

/**
 * RFC 9449 §8 server nonces without state: a nonce is the time bucket and an HMAC of it under a
 * secret every instance shares, so any instance behind a load balancer verifies any other's
 * nonce with no store call and no stickiness. A nonce is good in its bucket and the next one.
 */
export interface DpopNonces {
  /** The nonce to hand out now (`DPoP-Nonce`). */
  current(now?: number): string;
  /** True when `nonce` was issued in this bucket or the previous one. */
  verify(nonce: string, now?: number): boolean;
}

export function dpopNonces(secret: string, bucketSeconds: number): DpopNonces {
  const mac = (bucket: number) =>
    createHmac('sha256', secret).update(`dpop-nonce:${bucket}`).digest().subarray(0, 16);
  const make = (bucket: number) => `${bucket.toString(36)}.${mac(bucket).toString('base64url')}`;
  const bucketOf = (now: number) => Math.floor(now / bucketSeconds);
  return {
    current: (now = epochSeconds()) => make(bucketOf(now)),
    verify(nonce, now = epochSeconds()) {
      const m = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(nonce);
      if (!m) return false;
      const bucket = Number.parseInt(m[1]!, 36);
      const b = bucketOf(now);
      if (bucket !== b && bucket !== b - 1) return false;
      return timingSafeEqual(Buffer.from(m[2]!, 'base64url'), mac(bucket));
    },
  };
}
