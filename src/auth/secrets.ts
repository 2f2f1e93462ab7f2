import { DEFAULTS } from '../config/defaults.js';
import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets and admin keys are random with 256 bits of entropy (Baton generates them), so a
 * fast hash at rest is safe; a slow password KDF would cap every authenticated endpoint at a few
 * hundred requests per second without adding security for such secrets.
 */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('base64url')}`;
}

const DUMMY = Buffer.alloc(32);
/** Decoded config hashes (a handful, from config; decoding one per request is wasted work). */
const decoded = new Map<string, Buffer>();

function digestOf(storedHash: string | undefined): Buffer | undefined {
  if (!storedHash?.startsWith('sha256:')) return undefined;
  let d = decoded.get(storedHash);
  if (!d) {
    d = Buffer.from(storedHash.slice(7), 'base64url');
    if (decoded.size < DEFAULTS.decodedSecretHashesMax) decoded.set(storedHash, d);
  }
  return d;
}

/** Constant-time check of a presented secret against a stored `sha256:` hash. */
export function secretMatches(presented: string, storedHash: string | undefined): boolean {
  const got = hash('sha256', presented, 'buffer');
  const want = digestOf(storedHash);
  // Compare against a dummy when there is nothing to compare to, so unknown ids cost the same.
  const ok = timingSafeEqual(got, want && want.length === 32 ? want : DUMMY);
  return ok && want !== undefined && want.length === 32;
}
