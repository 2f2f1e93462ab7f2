/**
 * DPoP proofs for the load scenarios, signed before a run (a proof's jti is single-use, and
 * signing while measuring would put an ES256 sign per request on the load generator's core):
 * node:crypto's synchronous sign, ≈ 35 µs a proof, so a pool for 13 s at 8,000 req/s takes ≈ 4 s.
 */
import {
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

export interface ProofKey {
  jwk: JWK;
  jkt: string;
  /** One proof for `htm` `htu` (RFC 9449 §4.2), fresh jti and iat. */
  proof(htm: string, htu: string): string;
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function proofKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<ProofKey> {
  const { privateKey } =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  // The RFC 7638 members only: the public key, nothing else.
  const jwk: JWK =
    alg === 'EdDSA'
      ? { kty: pub.kty, crv: pub.crv, x: pub.x }
      : { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y };
  const header = b64({ typ: 'dpop+jwt', alg, jwk });
  const key: KeyObject = privateKey;
  return {
    jwk,
    jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    proof(htm, htu) {
      const payload = b64({
        jti: randomBytes(12).toString('base64url'),
        htm,
        htu,
        iat: Math.floor(Date.now() / 1000),
      });
      const input = `${header}.${payload}`;
      // Ed25519 signs the message itself (no digest); ES256 is a raw r||s over SHA-256.
      const sig =
        alg === 'EdDSA'
          ? sign(null, Buffer.from(input), key)
          : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
      return `${input}.${sig.toString('base64url')}`;
    },
  };
}

/** `n` single-use proofs; `next()` hands them out in order and throws once they run out. */
export function proofPool(key: ProofKey, htm: string, htu: string, n: number): () => string {
  const pool = Array.from({ length: n }, () => key.proof(htm, htu));
  let i = 0;
  return () => {
    if (i >= pool.length) throw new Error(`the pool of ${n} DPoP proofs ran out`);
    return pool[i++]!;
  };
}
