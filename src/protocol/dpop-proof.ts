import { hash } from 'node:crypto';

/**
 * The RFC 9449 §4.3 rules of a DPoP proof that need no cryptography, shared by Baton's endpoints
 * (src/auth/dpop.ts) and the resource-server middleware (packages/resource-server), so both refuse
 * the same proofs with the same words. Each side verifies the signature itself (with jose) between
 * `readProofHeader` and `checkProofClaims`, and maps a `DpopProofRuleError` to its own error.
 */

/** A broken rule; its message completes "DPoP proof …". */
export class DpopProofRuleError extends Error {
  override readonly name = 'DpopProofRuleError';
}

const fail = (why: string): never => {
  throw new DpopProofRuleError(why);
};

/** SHA-256, base64url: `ath` (§4.3 rule 12) and the replay record's id. */
export const proofSha256 = (s: string): string => hash('sha256', s, 'base64url');

/** §4.3 rule 9: `htu` is compared without its query and fragment. */
export function normalizeHtu(u: string): string | undefined {
  try {
    const url = new URL(u);
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/** The endpoint's own URL, normalised: an endpoint checks every proof against the same one. */
let lastEndpoint: { url: string; normalized: string | undefined } | undefined;
function normalizedEndpoint(url: string): string | undefined {
  if (lastEndpoint?.url !== url) lastEndpoint = { url, normalized: normalizeHtu(url) };
  return lastEndpoint.normalized;
}

/** The public key of a proof's header (RFC 7517 members; RFC 7638 names the thumbprint's). */
export interface ProofJwk {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  [member: string]: unknown;
}

/** What rules 1, 2, 4, 5 and 7 leave: the one proof, its allowed `alg` and its public key. */
export interface ProofHeader {
  proof: string;
  alg: string;
  jwk: ProofJwk;
}

function decodeHeader(proof: string): Record<string, unknown> {
  const parts = proof.split('.');
  if (parts.length !== 3) fail('is not a well-formed JWT');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    fail('is not a well-formed JWT');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail('is not a well-formed JWT');
  return header as Record<string, unknown>;
}

/** Rules 1, 2, 4, 5 and 7, in that order, before any key is imported. */
export function readProofHeader(
  proofs: readonly string[],
  algorithms: readonly string[],
): ProofHeader {
  // Rule 1: exactly one DPoP header (node joins repeats of an unknown header with ", ").
  if (proofs.length !== 1 || (proofs[0] ?? '').includes(','))
    fail('must be exactly one DPoP header');
  const proof = (proofs[0] ?? '').trim();
  // Rule 2: a well-formed JWT.
  const header = decodeHeader(proof);
  // Rule 4: typ dpop+jwt.
  if (header.typ !== 'dpop+jwt') fail('must have typ dpop+jwt');
  // RFC 7515 §4.1.11: `crit` names extensions that must be understood; no proof needs one.
  if (header.crit !== undefined) fail('must not carry crit (no JWS extension is understood)');
  // Rule 5: an asymmetric algorithm of the allow-list (never none, never HS*).
  const alg = header.alg;
  if (typeof alg !== 'string' || !algorithms.includes(alg))
    fail(`alg must be one of ${algorithms.join(', ')}`);
  // Rule 7: a public key in the header, never a private one (§11.4: keys stay with the client).
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    fail('must carry the public key as jwk in its header');
  const key = jwk as ProofJwk;
  if ('d' in key || 'p' in key || 'k' in key || key.kty === 'oct')
    fail('jwk must be a public key (it has a private part)');
  return { proof, alg: alg as string, jwk: key };
}

/** One key per agent: the id its imported form and thumbprint are cached under (RFC 7638 members). */
export function proofKeyId(jwk: ProofJwk, alg: string): string {
  return `${alg} ${jwk.kty} ${jwk.crv ?? ''} ${jwk.x ?? ''} ${jwk.y ?? ''} ${jwk.n ?? ''} ${jwk.e ?? ''}`;
}

/** How the claims are judged: this request, the clock and its window. */
export interface ProofClaimRules {
  method: string;
  url: string;
  now: number;
  /** |now - iat| allowed (rule 11) … */
  windowSeconds: number;
  /** … plus this clock tolerance. */
  toleranceSeconds?: number;
  /** Whose clock the window is measured on, for the refusal ("Baton's clock"). */
  clock: string;
  /** With an access token (at a resource server), `ath` must be its hash (rule 12). */
  accessToken?: string;
}

/** The claims that passed: the replay record is keyed by the normalised `htu` and the `jti`. */
export interface ProofClaims {
  jti: string;
  htu: string;
  iat: number;
}

/** Rules 8, 9, 11 and 12 on a proof whose signature verified (rule 6, with rule 3's claims). */
export function checkProofClaims(
  payload: Record<string, unknown>,
  rules: ProofClaimRules,
): ProofClaims {
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) fail('must have a jti');
  // Rule 8: htm is this request's method.
  if (htm !== rules.method) fail(`htm must be ${rules.method}`);
  // Rule 9: htu is this endpoint's URL, query and fragment ignored. A proof that names the URL
  // exactly (what clients send) needs no parse of its own; the endpoint's is parsed once.
  const want = normalizedEndpoint(rules.url);
  if (
    typeof htu !== 'string' ||
    want === undefined ||
    (htu !== rules.url && normalizeHtu(htu) !== want)
  )
    fail(`htu must be ${want ?? rules.url}`);
  // Rule 11: iat within the window, either way (clock skew).
  if (typeof iat !== 'number' || !Number.isFinite(iat)) fail('must have a numeric iat');
  if (Math.abs(rules.now - (iat as number)) > rules.windowSeconds + (rules.toleranceSeconds ?? 0))
    fail(`iat is more than ${rules.windowSeconds}s from ${rules.clock}`);
  // Rule 12: with an access token, ath is its hash.
  if (rules.accessToken !== undefined && payload.ath !== proofSha256(rules.accessToken))
    fail('ath does not match the access token');
  return { jti: jti as string, htu: want as string, iat: iat as number };
}

/** The replay record's id for one proof: its `jti` under its `htu`, hashed (never a key name). */
export const proofReplayId = (claims: ProofClaims): string =>
  proofSha256(`${claims.htu}\n${claims.jti}`);
