import { constants, type KeyObject, verify } from 'node:crypto';
import { signaturesOffloaded } from '../keys/offload.js';

/**
 * The signature check of a compact JWS (RFC 7515 §5.2) with node:crypto, for the one place that
 * runs it on every request and cannot cache it: the DPoP proof (RFC 9449 §4.3 rule 6). Where it
 * pays (src/keys/offload.ts) it takes node:crypto's callback form, which runs the verify on
 * libuv's thread pool: measured here, the event loop spends 12–20 µs per ES256 verify that way
 * against 75–84 µs for the synchronous call, and the bound exchange went from 2,185 to 3,739
 * req/s (bench:dpop). Everything else stays with jose: the key is imported and matched to its
 * `alg` by jose's importJWK once per key (src/auth/dpop.ts), and every other JWT Baton reads goes
 * through jwtVerify.
 */

/** RFC 7518 §3.1 algorithms as node:crypto's digest and options. */
function paramsOf(alg: string): {
  digest: string | null;
  dsaEncoding?: 'ieee-p1363';
  padding?: number;
  saltLength?: number;
} {
  const bits = alg.slice(2);
  switch (alg.slice(0, 2)) {
    case 'ES':
      return { digest: `sha${bits}`, dsaEncoding: 'ieee-p1363' };
    case 'RS':
      return { digest: `sha${bits}`, padding: constants.RSA_PKCS1_PADDING };
    case 'PS':
      return {
        digest: `sha${bits}`,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      };
    default:
      // EdDSA, and its RFC 9864 fully-specified name Ed25519: the key's curve decides.
      if (alg === 'EdDSA' || alg === 'Ed25519') return { digest: null };
      throw new TypeError(`unsupported alg ${alg}`);
  }
}

/**
 * The payload of `jws` when its signature verifies with `key` under `alg`, else undefined. The
 * caller has already checked the header (its `alg` on the allow-list, no `crit`).
 */
export async function verifyCompactJws(
  jws: string,
  alg: string,
  key: KeyObject,
): Promise<Record<string, unknown> | undefined> {
  const first = jws.indexOf('.');
  const last = jws.lastIndexOf('.');
  if (first < 0 || last === first) return undefined;
  const { digest, ...options } = paramsOf(alg);
  const signature = Buffer.from(jws.slice(last + 1), 'base64url');
  const data = Buffer.from(jws.slice(0, last));
  const params = { key, ...options };
  let ok: boolean;
  try {
    ok = signaturesOffloaded()
      ? await new Promise<boolean>((resolve) =>
          verify(digest, data, params, signature, (err, valid) => resolve(!err && valid)),
        )
      : verify(digest, data, params, signature);
  } catch {
    return undefined;
  }
  if (!ok) return undefined;
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(jws.slice(first + 1, last), 'base64url').toString('utf8'),
    );
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
