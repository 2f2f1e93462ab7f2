/**
 * Error codes Baton sends (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 6750 §3, RFC 8628 §3.5,
 * RFC 9396 §5, and `not_found` / `method_not_allowed` of its own), shared by the server and the
 * SDK; src/errors.ts has one class per code. No dependencies.
 */
export const ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'temporarily_unavailable',
  'server_error',
  'access_denied',
  'authorization_pending',
  'slow_down',
  'expired_token',
  'invalid_authorization_details',
  'invalid_token',
  'not_found',
  'method_not_allowed',
  // RFC 9449 §5 and §8: a DPoP proof that fails a check, or one without the nonce asked for.
  'invalid_dpop_proof',
  'use_dpop_nonce',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
