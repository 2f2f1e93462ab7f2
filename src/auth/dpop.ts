import { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { verifyCompactJws } from './jws-signature.js';
import { epochSeconds } from '../clock.js';
import {
  checkProofClaims,
  DpopProofRuleError,
  normalizeHtu as normalizeHtuRule,
  proofKeyId,
  proofReplayId,
  readProofHeader,
} from '../protocol/dpop-proof.js';
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

/** §4.3 rule 9: `htu` is compared without its query and fragment. */
export const normalizeHtu = normalizeHtuRule;

/**
 * An agent signs every proof with the same key: importing it and hashing its thumbprint once, not
 * per request, halves the cost of a proof check (bench/dpop.ts). Keyed by the RFC 7638 members,
 * so a header that adds members to a known key still gets the key those members name; bounded.
 */
const keyCache = new Map<string, { key: KeyObject; jkt: string }>();

async function keyOf(jwk: JWK, alg: string): Promise<{ key: KeyObject; jkt: string }> {
  const id = proofKeyId(jwk, alg);
  const hit = keyCache.get(id);
  if (hit) return hit;
  // jose matches the key to its alg (kty, crv, size); node:crypto then verifies with it.
  let key: KeyObject;
  try {
    const imported = await importJWK(jwk, alg);
    if (imported instanceof Uint8Array) throw new TypeError('a symmetric key');
    key = KeyObject.from(imported);
  } catch {
    throw bad('jwk is not a usable public key for its alg');
  }
  const entry = { key, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
  if (keyCache.size >= DEFAULTS.dpopKeyCacheSize) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, entry);
  return entry;
}

const bad = (why: string) => new InvalidDpopProof(`DPoP proof ${why}`);

/** A rule of src/protocol/dpop-proof.ts broken is `invalid_dpop_proof`, in its words. */
function ruled<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof DpopProofRuleError) throw bad(e.message);
    throw e;
  }
}

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
  // Rules 1, 2, 4, 5, 7, then 6 (the signature), then 8, 9, 11, 12: src/protocol/dpop-proof.ts.
  const header = ruled(() => readProofHeader(req.proofs!, deps.algorithms));
  const known = await keyOf(header.jwk as JWK, header.alg);
  const payload = await verifyCompactJws(header.proof, header.alg, known.key);
  if (!payload) throw bad('signature does not verify with its jwk');
  const claims = ruled(() =>
    checkProofClaims(payload, {
      method: req.method,
      url: req.url,
      now: epochSeconds(),
      windowSeconds: deps.windowSeconds,
      clock: "Baton's clock",
      ...(req.accessToken !== undefined ? { accessToken: req.accessToken } : {}),
    }),
  );
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
    () => deps.useOnce(`dpop:{${jkt}}`, proofReplayId(claims), claims.iat + deps.windowSeconds + 1),
    'the DPoP proof was not checked',
  );
  if (!fresh) throw bad('has been used before (jti replayed)');
  return { jkt };
}
