import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  type CryptoKey,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  jwtVerify,
} from 'jose';
import { InvalidDpopProofError, UnavailableError, UseDpopNonceError } from './errors.js';
import type { NonceSource, ReplayCache } from './options.js';

/** What the resource server's proof check needs (RFC 9449 §7). */
export interface DpopCheckOptions {
  algorithms: readonly string[];
  windowSeconds: number;
  clockToleranceSeconds: number;
  replay: ReplayCache;
  nonces?: NonceSource;
}

/** One request as the check sees it. */
export interface DpopCheckRequest {
  /** Every `DPoP` header value. */
  proofs: readonly string[];
  method: string;
  /** The request's absolute URL; compared without query and fragment (§4.3 rule 9). */
  url: string;
  /** The access token that came with it: `ath` must be its hash (§4.3 rule 12). */
  accessToken: string;
  /** The token's `cnf.jkt`: the proof's key must have this RFC 7638 thumbprint (§7.1). */
  jkt: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const bad = (why: string) => new InvalidDpopProofError(`DPoP proof ${why}`);

/** §4.3 rule 9: `htu` without query and fragment. */
export function htuOf(u: string): string | undefined {
  try {
    const url = new URL(u);
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * An agent signs every proof with one key: import it and hash its thumbprint once (bounded),
 * keyed by the members RFC 7638 names, so the cost per request is one signature verify.
 */
const keys = new Map<string, { key: CryptoKey | Uint8Array; jkt: string }>();
const KEY_CACHE_MAX = 10_000;

async function keyOf(jwk: JWK, alg: string) {
  const id = `${alg} ${jwk.kty} ${jwk.crv ?? ''} ${jwk.x ?? ''} ${jwk.y ?? ''} ${jwk.n ?? ''} ${jwk.e ?? ''}`;
  const hit = keys.get(id);
  if (hit) return hit;
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(jwk, alg);
  } catch {
    throw bad('jwk is not a usable public key for its alg');
  }
  const entry = { key, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
  if (keys.size >= KEY_CACHE_MAX) keys.delete(keys.keys().next().value as string);
  keys.set(id, entry);
  return entry;
}

/**
 * The resource server's check of a DPoP-bound token's proof (RFC 9449 §7.1, the §4.3 rules in
 * order): exactly one `DPoP` header, a JWT with `typ: dpop+jwt`, an allowed asymmetric `alg`, a
 * public `jwk`, a valid signature, `htm` = the method, `htu` = the URL, `iat` in the window,
 * `ath` = SHA-256 of the token, the nonce when the tool uses them, the key's thumbprint =
 * `cnf.jkt`, and a `jti` unseen in the window (recorded last, so a refused proof costs nothing).
 */
export async function verifyDpopProof(o: DpopCheckOptions, req: DpopCheckRequest): Promise<void> {
  // Rule 1: exactly one header (node joins repeats of an unknown header with ", ").
  if (req.proofs.length !== 1 || (req.proofs[0] ?? '').includes(','))
    throw bad('must be exactly one DPoP header');
  const proof = (req.proofs[0] ?? '').trim();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw bad('is not a well-formed JWT');
  }
  if (proof.split('.').length !== 3) throw bad('is not a well-formed JWT');
  if (header.typ !== 'dpop+jwt') throw bad('must have typ dpop+jwt');
  if (typeof header.alg !== 'string' || !o.algorithms.includes(header.alg))
    throw bad(`alg must be one of ${o.algorithms.join(', ')}`);
  const jwk = header.jwk as JWK | undefined;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw bad('must carry the public key as jwk in its header');
  if ('d' in jwk || 'p' in jwk || 'k' in jwk || jwk.kty === 'oct')
    throw bad('jwk must be a public key (it has a private part)');
  const known = await keyOf(jwk, header.alg);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, known.key, {
      typ: 'dpop+jwt',
      algorithms: [...o.algorithms],
    }));
  } catch {
    throw bad('signature does not verify with its jwk');
  }
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw bad('must have a jti');
  if (htm !== req.method) throw bad(`htm must be ${req.method}`);
  const want = htuOf(req.url);
  if (typeof htu !== 'string' || want === undefined || htuOf(htu) !== want)
    throw bad(`htu must be ${want ?? req.url}`);
  const now = Math.floor(Date.now() / 1000);
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw bad('must have a numeric iat');
  if (Math.abs(now - iat) > o.windowSeconds + o.clockToleranceSeconds)
    throw bad(`iat is more than ${o.windowSeconds}s from the resource's clock`);
  if (payload.ath !== sha256(req.accessToken)) throw bad('ath does not match the access token');
  if (o.nonces) {
    const nonce = payload.nonce;
    if (typeof nonce !== 'string' || !o.nonces.verify(nonce))
      throw new UseDpopNonceError(
        'DPoP proof must carry the nonce in DPoP-Nonce',
        o.nonces.current(),
      );
  }
  // §7.1: the proof's key is the one the token is bound to (theft: a copied token, another key).
  if (known.jkt !== req.jkt) throw bad('key is not the one the token is bound to (cnf.jkt)');
  let fresh: boolean;
  try {
    fresh = await o.replay.useOnce(
      `${known.jkt} ${sha256(`${want}\n${jti}`)}`,
      iat + o.windowSeconds + o.clockToleranceSeconds + 1,
    );
  } catch {
    throw new UnavailableError('the DPoP replay cache cannot take more proofs now', 1);
  }
  if (!fresh) throw bad('has been used before (jti replayed)');
}
