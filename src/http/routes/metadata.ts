import type { Config } from '../../config/schema.js';
import { ASYMMETRIC_ALGS } from '../../config/schema.js';
import { GRANT_TOKEN_EXCHANGE } from '../../tokens/claims.js';

/** RFC 8414 authorization server metadata: every endpoint and supported value. */
export function metadata(config: Config, signingAlgs: string[]) {
  const base = config.issuer.replace(/\/$/, '');
  const authMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
  return {
    issuer: config.issuer,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    introspection_endpoint: `${base}/introspect`,
    revocation_endpoint: `${base}/revoke`,
    grant_types_supported: [GRANT_TOKEN_EXCHANGE],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGS],
    introspection_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGS],
    revocation_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGS],
    scopes_supported: [...new Set(config.tools.flatMap((t) => t.scopes))].sort(),
    // RFC 9068 JWT access tokens; RFC 8693 token types Baton accepts and issues.
    access_token_signing_alg_values_supported: signingAlgs,
    token_exchange_token_types_supported: [
      'urn:ietf:params:oauth:token-type:access_token',
      'urn:ietf:params:oauth:token-type:jwt',
    ],
    // RFC 9449 §5.1: the algorithms Baton accepts in DPoP proofs.
    dpop_signing_alg_values_supported: [...config.dpop.algorithms],
    // RFC 9396 §10: the authorization details types Baton understands.
    authorization_details_types_supported: ['tool_call'],
    // Baton's extensions, under their own names.
    task_completion_endpoint: `${base}/tasks/{txn}/complete`,
    task_renewal_endpoint: `${base}/tasks/{txn}/renew`,
    revocation_feed_endpoint: `${base}/revocations`,
  };
}
