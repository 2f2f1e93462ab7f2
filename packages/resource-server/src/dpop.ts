import {
  checkProofClaims,
  DpopProofRuleError,
  normalizeHtu,
  proofKeyId,
  proofReplayId,
  readProofHeader,
} from '@baton/protocol';
import { calculateJwkThumbprint, type CryptoKey, importJWK, type JWK, jwtVerify } from 'jose';
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

const bad = (why: string) => new InvalidDpopProofError(`DPoP proof ${why}`);

/** §4.3 rule 9: `htu` without query and fragment. */
export const htuOf = normalizeHtu;

/** A rule of @baton/protocol's proof checks broken is `invalid_dpop_proof`, in the same words. */
function ruled<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof DpopProofRuleError) throw bad(e.message);
    throw e;
  }
}

/**
 * An agent signs every proof with one key: import it and hash its thumbprint once (bounded),
 * keyed by the members RFC 7638 names, so the cost per request is one signature verify.
 */
const keys = new Map<string, { key: CryptoKey | Uint8Array; jkt: string }>();
const KEY_CACHE_MAX = 10_000;

async function keyOf(jwk: JWK, alg: string) {
  const id = proofKeyId(jwk, alg);
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
  // Rules 1, 2, 4, 5, 7, then 6 (the signature), then 8, 9, 11, 12 (@baton/protocol).
  const header = ruled(() => readProofHeader(req.proofs, o.algorithms));
  const known = await keyOf(header.jwk as JWK, header.alg);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(header.proof, known.key, {
      typ: 'dpop+jwt',
      algorithms: [...o.algorithms],
    }));
  } catch {
    throw bad('signature does not verify with its jwk');
  }
  const claims = ruled(() =>
    checkProofClaims(payload, {
      method: req.method,
      url: req.url,
      now: Math.floor(Date.now() / 1000),
      windowSeconds: o.windowSeconds,
      toleranceSeconds: o.clockToleranceSeconds,
      clock: "the resource's clock",
      accessToken: req.accessToken,
    }),
  );
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
      `${known.jkt} ${proofReplayId(claims)}`,
      claims.iat + o.windowSeconds + o.clockToleranceSeconds + 1,
    );
  } catch {
    throw new UnavailableError('the DPoP replay cache cannot take more proofs now', 1);
  }
  if (!fresh) throw bad('has been used before (jti replayed)');
}
