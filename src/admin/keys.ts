import type { KeySet } from '../keys/keyset.js';

/** A key as the console shows it: never the private part. */
export interface KeySummary {
  kid: string;
  alg: string;
  created_at: number;
  activate_at: number;
  /** staged (published, not yet signing), signing, or retiring (published for tokens it signed). */
  stage: 'staged' | 'signing' | 'retiring';
}

/** The published keys and the rotation stage of each (docs/operations.md, key rotation). */
export function describeKeys(
  keys: Pick<KeySet, 'published' | 'signingKey'>,
  now: number,
): KeySummary[] {
  const signing = keys.signingKey(now);
  return keys.published(now).map((k) => ({
    kid: k.kid,
    alg: k.alg,
    created_at: k.createdAt,
    activate_at: k.activateAt,
    stage: k.kid === signing.kid ? 'signing' : k.activateAt > now ? 'staged' : 'retiring',
  }));
}
