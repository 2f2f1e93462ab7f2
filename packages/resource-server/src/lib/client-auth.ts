import { randomUUID } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';
import type { Credentials } from '../options.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What a call to Baton carries to authenticate: headers and form fields (docs/endpoints.md). */
export interface ClientAuth {
  headers: Record<string, string>;
  form: Record<string, string>;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/**
 * Authentication for one call as the tool's resource server: Basic, `client_secret_post`, or a
 * fresh RFC 7523 assertion (`iss` = `sub` = client id, `aud` = the issuer, 60 s, unique `jti`:
 * Baton accepts each assertion once).
 */
export function clientAuthenticator(creds: Credentials, issuer: string): () => Promise<ClientAuth> {
  if ('clientSecret' in creds) {
    const fixed: ClientAuth =
      creds.method === 'client_secret_post'
        ? { headers: {}, form: { client_id: creds.clientId, client_secret: creds.clientSecret } }
        : { headers: { authorization: basic(creds.clientId, creds.clientSecret) }, form: {} };
    return async () => fixed;
  }
  const alg = creds.alg ?? 'ES256';
  const key =
    typeof creds.privateKey === 'object' && 'kty' in creds.privateKey
      ? importJWK(creds.privateKey as JWK, alg)
      : Promise.resolve(
          creds.privateKey as Exclude<Credentials, { clientSecret: string }>['privateKey'],
        );
  return async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg, ...(creds.kid ? { kid: creds.kid } : {}) })
      .setIssuer(creds.clientId)
      .setSubject(creds.clientId)
      .setAudience(issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(randomUUID())
      .sign((await key) as Parameters<SignJWT['sign']>[0]);
    return {
      headers: {},
      form: { client_assertion_type: ASSERTION_TYPE, client_assertion: assertion },
    };
  };
}
