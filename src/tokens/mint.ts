import { SignJWT } from 'jose';
import type { KeySet } from '../keys/keyset.js';
import { JWT_TYP, type BatonClaims } from './claims.js';

/** Signs a Baton token: RFC 9068 `typ: at+jwt`, `kid` of the current signing key. */
export async function signToken(keys: KeySet, claims: BatonClaims): Promise<string> {
  const key = keys.signingKey();
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: JWT_TYP }).sign(key.privateKey);
}
