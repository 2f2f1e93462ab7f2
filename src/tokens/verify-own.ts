import {
  errors as joseErrors,
  jwtVerify,
  decodeProtectedHeader,
  type JWTHeaderParameters,
} from 'jose';
import { InvalidRequest } from '../errors.js';
import type { KeySet } from '../keys/keyset.js';
import { JWT_TYP, type Actor, type BatonClaims } from './claims.js';
import { VerifiedTokenCache } from './verified-cache.js';
import { epochSeconds } from '../clock.js';

export interface OwnTokenVerifier {
  issuer: string;
  keys: KeySet;
  cache: VerifiedTokenCache<BatonClaims>;
  clockToleranceSeconds: number;
}

/** A readable reason for a jose failure; never includes the token. */
export function joseReason(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'it has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed)
    return `claim "${e.claim}" ${e.reason === 'check_failed' ? 'is not acceptable' : e.reason}`;
  if (e instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'its signature does not verify';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'its algorithm is not allowed';
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid)
    return 'it is not a well-formed signed JWT';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no published key matches its kid';
  if (e instanceof joseErrors.JOSEError) return `it does not verify (${e.code})`;
  return 'it does not verify';
}

function isActor(v: unknown, depth = 0): v is Actor {
  if (depth > 32 || typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return typeof a.sub === 'string' && (a.act === undefined || isActor(a.act, depth + 1));
}

/** Shape check of our own claims: a token we signed with a different shape is not ours to trust. */
function asBatonClaims(p: Record<string, unknown>): BatonClaims | undefined {
  const l = p.lineage as Record<string, unknown> | undefined;
  const ok =
    typeof p.sub === 'string' &&
    typeof p.aud === 'string' &&
    typeof p.jti === 'string' &&
    typeof p.txn === 'string' &&
    typeof p.client_id === 'string' &&
    typeof p.scope === 'string' &&
    typeof p.exp === 'number' &&
    typeof p.iat === 'number' &&
    isActor(p.act) &&
    !!l &&
    Array.isArray(l.anc) &&
    l.anc.every((x) => typeof x === 'string') &&
    Array.isArray(l.st) &&
    l.st.every((x) => typeof x === 'number');
  return ok ? (p as unknown as BatonClaims) : undefined;
}

/**
 * Verifies a token Baton issued: signature by a published key, `typ: at+jwt`, our `iss`,
 * exp/nbf. Audience is the caller's decision (task vs tool token). Throws `invalid_request`.
 */
export async function verifyOwnToken(
  v: OwnTokenVerifier,
  token: string,
  what = 'subject_token',
  cacheKey = VerifiedTokenCache.keyOf(token),
): Promise<BatonClaims> {
  const now = epochSeconds();
  const cached = v.cache.get(cacheKey, now, (kid) => v.keys.isLive(kid));
  if (cached) {
    if (cached.nbf > now + v.clockToleranceSeconds)
      throw new InvalidRequest(`${what} is not valid yet`);
    return cached;
  }
  let header: JWTHeaderParameters;
  try {
    header = decodeProtectedHeader(token) as JWTHeaderParameters;
  } catch {
    throw new InvalidRequest(`${what} is not a well-formed JWT`);
  }
  const key = v.keys.verificationKey(header.kid);
  if (!key) throw new InvalidRequest(`${what} was not signed by a key Baton publishes`);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      issuer: v.issuer,
      typ: JWT_TYP,
      clockTolerance: v.clockToleranceSeconds,
      requiredClaims: ['exp', 'iat', 'nbf', 'jti', 'sub', 'aud'],
    }));
  } catch (e) {
    throw new InvalidRequest(`${what} is not acceptable: ${joseReason(e)}`, { cause: e });
  }
  const claims = asBatonClaims(payload);
  if (!claims) throw new InvalidRequest(`${what} does not carry Baton's claims`);
  v.cache.set(cacheKey, claims, claims.exp, key.kid);
  return claims;
}
