import type { Actor, BatonClaims } from '@baton/protocol';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { InvalidTokenError, UnavailableError } from '../errors.js';

/** The claims a local check needs, read and shape-checked once per token. */
export type CheckedClaims = Pick<
  BatonClaims,
  'iss' | 'sub' | 'aud' | 'exp' | 'iat' | 'jti' | 'client_id' | 'scope' | 'txn' | 'act' | 'lineage'
> & { nbf?: number; cnf?: { jkt: string }; authorization_details?: unknown[]; actors: string[] };

export interface TokenCheckOptions {
  issuer: string;
  resource: string;
  jwksUri: string;
  algorithms: readonly string[];
  clockToleranceSeconds: number;
  cooldownSeconds: number;
  timeoutMs: number;
}

const isStrings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/** RFC 8693 §4.1: outermost actor first. */
function actorsOf(act: unknown): string[] | undefined {
  const out: string[] = [];
  let a = act as Actor | undefined;
  while (a !== undefined) {
    if (typeof a !== 'object' || a === null || typeof a.sub !== 'string') return undefined;
    out.push(a.sub);
    a = a.act;
    if (out.length > 16) return undefined;
  }
  return out.length > 0 ? out : undefined;
}

/**
 * The RFC 9068 check of a Baton tool token against Baton's JWKS (jose's remote key set: cached,
 * refetched on an unknown `kid` at most once per cooldown): `typ` at+jwt, an asymmetric `alg`,
 * `iss`, `aud` exactly this resource (one value), `exp`/`nbf` with the leeway, and the claims a
 * revocation check reads (`txn`, `jti`, `client_id`, `act`, `lineage`).
 */
export function tokenChecker(o: TokenCheckOptions): (token: string) => Promise<CheckedClaims> {
  const jwks = createRemoteJWKSet(new URL(o.jwksUri), {
    cooldownDuration: o.cooldownSeconds * 1000,
    timeoutDuration: o.timeoutMs,
  });
  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: o.issuer,
        typ: 'at+jwt',
        algorithms: [...o.algorithms],
        clockTolerance: o.clockToleranceSeconds,
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      }));
    } catch (e) {
      if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid)
        throw new UnavailableError("Baton's keys cannot be fetched now", 5);
      if (e instanceof errors.JWTExpired) throw new InvalidTokenError('the token has expired');
      if (e instanceof errors.JWTClaimValidationFailed)
        throw new InvalidTokenError(`the token's ${e.claim} is not valid here`);
      if (e instanceof errors.JOSEAlgNotAllowed)
        throw new InvalidTokenError('the token is signed with an algorithm not accepted');
      if (e instanceof errors.JWKSNoMatchingKey)
        throw new InvalidTokenError('the token is not signed by a key Baton publishes');
      throw new InvalidTokenError('the token is not a valid Baton access token');
    }
    // RFC 9068 §4: the audience is this resource, exactly (a token for several is refused).
    const aud =
      Array.isArray(payload.aud) && payload.aud.length === 1 ? payload.aud[0] : payload.aud;
    if (aud !== o.resource) throw new InvalidTokenError('the token is for another audience');
    const lineage = payload.lineage as { anc?: unknown; st?: unknown } | undefined;
    const actors = actorsOf(payload.act);
    if (
      typeof payload.txn !== 'string' ||
      typeof payload.client_id !== 'string' ||
      typeof payload.scope !== 'string' ||
      !actors ||
      typeof lineage !== 'object' ||
      lineage === null ||
      !isStrings(lineage.anc) ||
      !Array.isArray(lineage.st) ||
      !lineage.st.every((x) => typeof x === 'number')
    )
      throw new InvalidTokenError('the token lacks claims a Baton tool token carries');
    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    if (
      cnf !== undefined &&
      (typeof cnf !== 'object' || cnf === null || typeof cnf.jkt !== 'string')
    )
      // RFC 9449 §6: a confirmation this resource cannot check is never treated as bearer.
      throw new InvalidTokenError(
        'the token is bound by a confirmation this resource cannot check',
      );
    return Object.assign(payload, { aud, actors }) as unknown as CheckedClaims;
  };
}
