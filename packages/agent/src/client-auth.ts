import * as oauth from 'oauth4webapi';

/**
 * How the agent authenticates to Baton (docs/endpoints.md, "Client authentication"): a client
 * secret (HTTP Basic by default, or in the body), or RFC 7523 `private_key_jwt` signed with a
 * key whose public half is in the agent's JWKS in Baton's config.
 */
export type AgentAuth =
  | { secret: string; method?: 'client_secret_basic' | 'client_secret_post' }
  | { privateKeyJwt: CryptoKey | { key: CryptoKey; kid?: string } };

/** oauth4webapi's client authentication for the given credentials (never hand-rolled). */
export function clientAuthFor(auth: AgentAuth): oauth.ClientAuth {
  if ('secret' in auth)
    return auth.method === 'client_secret_post'
      ? oauth.ClientSecretPost(auth.secret)
      : oauth.ClientSecretBasic(auth.secret);
  return oauth.PrivateKeyJwt(auth.privateKeyJwt);
}
