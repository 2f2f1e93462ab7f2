/**
 * DPoP (RFC 9449) for tests and the bench: an agent's key pair, proofs for a request, and /token
 * calls with a `DPoP` header.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JWK,
  SignJWT,
} from 'jose';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import { credentials, type ClientId, type HttpResult, postForm } from './fixtures.js';

export interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
  /** RFC 7638 thumbprint, what `cnf.jkt` names. */
  jkt: string;
  /** A proof for one request; `claims` and `header` override or add members. */
  proof(
    htm: string,
    htu: string,
    o?: {
      claims?: Record<string, unknown>;
      header?: Record<string, unknown>;
      accessToken?: string;
      nonce?: string;
    },
  ): Promise<string>;
}

export async function dpopKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  return {
    privateKey,
    jwk,
    jkt,
    proof: (htm, htu, o = {}) =>
      new SignJWT({
        jti: randomUUID(),
        htm,
        htu,
        iat: Math.floor(Date.now() / 1000),
        ...(o.accessToken
          ? { ath: createHash('sha256').update(o.accessToken).digest('base64url') }
          : {}),
        ...(o.nonce ? { nonce: o.nonce } : {}),
        ...o.claims,
      })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk, ...o.header })
        .sign(privateKey),
  };
}

/** POST /token as a test client, with `DPoP: proof` when a proof is given. */
export function dpopExchange(
  url: string,
  as: ClientId,
  fields: Record<string, string | string[]>,
  proof?: string,
): Promise<HttpResult> {
  const c = credentials(as);
  return postForm(
    `${url}/token`,
    {
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token_type: TOKEN_TYPE_ACCESS,
      ...c.form,
      ...fields,
    },
    { ...c.headers, ...(proof ? { dpop: proof } : {}) },
  );
}
