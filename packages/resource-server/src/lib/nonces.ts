import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NonceSource } from '../options.js';

/**
 * RFC 9449 §8 nonces without state, for a tool with several instances: the time bucket and an
 * HMAC of it under a secret they share. A nonce is good in its bucket and the next one.
 */
export function dpopNonces(secret: string, bucketSeconds = 120): NonceSource {
  if (secret.length < 32) throw new RangeError('the nonce secret must have at least 32 characters');
  const mac = (b: number) =>
    createHmac('sha256', secret).update(`dpop-nonce:${b}`).digest().subarray(0, 16);
  const bucketOf = () => Math.floor(Date.now() / 1000 / bucketSeconds);
  return {
    current: () => {
      const b = bucketOf();
      return `${b.toString(36)}.${mac(b).toString('base64url')}`;
    },
    verify(nonce) {
      const m = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(nonce);
      if (!m) return false;
      const b = Number.parseInt(m[1] ?? '', 36);
      const now = bucketOf();
      if (b !== now && b !== now - 1) return false;
      return timingSafeEqual(Buffer.from(m[2] ?? '', 'base64url'), mac(b));
    },
  };
}
