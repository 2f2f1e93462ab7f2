import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  type CryptoKey,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  jwtVerify,
  type ProtectedHeaderParameters,
} from 'jose';
import { epochSeconds } from '../clock.js';
import { DEFAULTS } from '../config/defaults.js';
import { InvalidDpopProof, UseDpopNonce } from '../errors.js';
import { orUnavailable } from '../store/store.js';
import type { DpopNonces } from './dpop-nonce.js';

/** What a proof check needs: the allow-list, the window, the replay record and the nonces. */
export interface DpopDeps {
  algorithms: readonly string[];
  /** |now - iat| allowed (RFC 9449 §4.3 rule 11); the jti is remembered that long. */
  windowSeconds: number;
  /** Single-use record shared by every instance (the store's ReplayStore). */
  useOnce(namespace: string, id: string, expSeconds: number): Promise<boolean>;
  /** When set, every proof must carry a current server nonce (§8). */
  nonces?: DpopNonces;
}

/** One request as a proof check sees it. */
export interface DpopRequest {
  /** Every `DPoP` header value (node's `headersDistinct.dpop`); undefined when there is none. */
  proofs: readonly string[] | undefined;
  /** The request method (`htm`). */
  method: string;
  /** The endpoint's URL as Baton's issuer names it, without query or fragment (`htu`). */
  url: string;
  /** The access token the proof goes with (`ath`, §4.3 rule 12), at resource servers. */
  accessToken?: string;
}

/** A proof that passed every check: the key's RFC 7638 thumbprint is what tokens bind to. */
export interface VerifiedProof {
  jkt: string;
}

const b64sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

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

/**
 * An agent signs every proof with the same key: importing it and hashing its thumbprint once, not
 * per request, halves the cost of a proof check (bench/dpop.ts). Keyed by the RFC 7638 members,
 * so a header that adds members to a known key still gets the key those members name; bounded.
 */
const keyCache = new Map<string, { key: CryptoKey | Uint8Array; jkt: string }>();

async function keyOf(jwk: JWK, alg: string): Promise<{ key: CryptoKey | Uint8Array; jkt: string }> {
  const id = `${alg} ${jwk.kty} ${jwk.crv ?? ''} ${jwk.x ?? ''} ${jwk.y ?? ''} ${jwk.n ?? ''} ${jwk.e ?? ''}`;
  const hit = keyCache.get(id);
  if (hit) return hit;
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(jwk, alg);
  } catch {
    throw bad('jwk is not a usable public key for its alg');
  }
  const entry = { key, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
  if (keyCache.size >= DEFAULTS.dpopKeyCacheSize) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, entry);
  return entry;
}

const bad = (why: string) => new InvalidDpopProof(`DPoP proof ${why}`);

/**
 * Checks the DPoP proof of one request, rule by rule as RFC 9449 §4.3 lists them, and records its
 * `jti`. Returns undefined when the request has no `DPoP` header (whether one was needed is the
 * caller's decision). Every refusal is `invalid_dpop_proof`, but a missing or stale nonce, which
 * is `use_dpop_nonce` with a fresh `DPoP-Nonce` (§8).
 */
export async function verifyDpopProof(
  deps: DpopDeps,
  req: DpopRequest,
): Promise<VerifiedProof | undefined> {
  if (req.proofs === undefined || req.proofs.length === 0) return undefined;
  // Rule 1: exactly one DPoP header (node joins repeats of an unknown header with ", ").
  if (req.proofs.length !== 1 || req.proofs[0]!.includes(','))
    throw bad('must be exactly one DPoP header');
  const proof = req.proofs[0]!.trim();
  // Rule 2: a well-formed JWT.
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw bad('is not a well-formed JWT');
  }
  if (proof.split('.').length !== 3) throw bad('is not a well-formed JWT');
  // Rule 4: typ dpop+jwt.
  if (header.typ !== 'dpop+jwt') throw bad('must have typ dpop+jwt');
  // Rule 5: an asymmetric algorithm of the allow-list (never none, never HS*).
  if (typeof header.alg !== 'string' || !deps.algorithms.includes(header.alg))
    throw bad(`alg must be one of ${deps.algorithms.join(', ')}`);
  // Rule 7: a public key in the header, never a private one (§11.4 keys stay with the client).
  const jwk = header.jwk as JWK | undefined;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw bad('must carry the public key as jwk in its header');
  if ('d' in jwk || 'p' in jwk || 'k' in jwk || jwk.kty === 'oct')
    throw bad('jwk must be a public key (it has a private part)');
  // Rule 6: the signature verifies with that key. Also rule 3's claims.
  const known = await keyOf(jwk, header.alg);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, known.key, {
      typ: 'dpop+jwt',
      algorithms: [...deps.algorithms],
    }));
  } catch {
    throw bad('signature does not verify with its jwk');
  }
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw bad('must have a jti');
  // Rule 8: htm is this request's method.
  if (htm !== req.method) throw bad(`htm must be ${req.method}`);
  // Rule 9: htu is this endpoint's URL, query and fragment ignored.
  if (typeof htu !== 'string' || normalizeHtu(htu) !== normalizeHtu(req.url))
    throw bad(`htu must be ${req.url}`);
  // Rule 11: iat within the window, either way (clock skew).
  const now = epochSeconds();
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw bad('must have a numeric iat');
  if (Math.abs(now - iat) > deps.windowSeconds)
    throw bad(`iat is more than ${deps.windowSeconds}s from Baton's clock`);
  // Rule 12: with an access token, ath is its hash.
  if (req.accessToken !== undefined && payload.ath !== b64sha256(req.accessToken))
    throw bad('ath does not match the access token');
  // Rule 10: the server's nonce, when it asks for one (§8).
  if (deps.nonces) {
    const nonce = payload.nonce;
    if (typeof nonce !== 'string' || !deps.nonces.verify(nonce))
      throw new UseDpopNonce('DPoP proof must carry the nonce in DPoP-Nonce', {
        headers: { 'DPoP-Nonce': deps.nonces.current() },
      });
  }
  const jkt = known.jkt;
  // Rule 3 (jti unseen): one record per (htu, key, jti), shared by every instance. The `{jkt}`
  // hash tag keeps a client's records on one Cluster slot; the jti is hashed so a caller's
  // value never becomes a key name. Kept until the proof could no longer pass rule 11.
  const fresh = await orUnavailable(
    () =>
      deps.useOnce(
        `dpop:{${jkt}}`,
        b64sha256(`${normalizeHtu(htu)}\n${jti}`),
        iat + deps.windowSeconds + 1,
      ),
    'the DPoP proof was not checked',
  );
  if (!fresh) throw bad('has been used before (jti replayed)');
  return { jkt };
}
