/**
 * The verifier's one error family: each refusal knows its HTTP status, its RFC 6750 / RFC 9449
 * error code and the exact `WWW-Authenticate` challenge to send, so every framework adapter
 * answers the same way (`status`, `headers`, `body()`).
 */
export type RefusalCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'temporarily_unavailable';

export class BatonAuthError extends Error {
  /** Headers to send with the refusal: `WWW-Authenticate`, and `DPoP-Nonce` / `Retry-After`. */
  headers: Record<string, string> = {};

  constructor(
    readonly code: RefusalCode,
    readonly status: number,
    /** Sent to the client as `error_description` (never a token or a secret). */
    readonly description: string,
  ) {
    super(description);
    this.name = new.target.name;
  }

  /** The JSON body: `{"error", "error_description"}` as OAuth answers errors. */
  body(): { error: RefusalCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** RFC 6750 §3.1: no token, or one that is expired, revoked, malformed, for another audience. */
export class InvalidTokenError extends BatonAuthError {
  constructor(
    description: string,
    /** True when the request carried no credentials: the challenge then names no error. */
    readonly missing = false,
  ) {
    super('invalid_token', 401, description);
  }
}

/** RFC 6750 §3.1: a malformed request (two Authorization headers, an unknown scheme). */
export class InvalidRequestError extends BatonAuthError {
  constructor(description: string) {
    super('invalid_request', 400, description);
  }
}

/** RFC 6750 §3.1: the token lacks scopes the operation needs; `scopes` lists all of them. */
export class InsufficientScopeError extends BatonAuthError {
  constructor(
    description: string,
    readonly scopes: readonly string[],
  ) {
    super('insufficient_scope', 403, description);
  }
}

/**
 * A token bound to one tool call (RFC 9396 `tool_call`) used for another, or an unbound token
 * where the tool requires bound calls. 403 `insufficient_scope`: the token is valid but does
 * not authorize this call; `reason` says which part differs.
 */
export class ToolCallMismatchError extends BatonAuthError {
  constructor(
    description: string,
    readonly reason: 'action' | 'arguments' | 'unbound' | 'tool' | 'undeclared',
  ) {
    super('insufficient_scope', 403, description);
  }
}

/** RFC 9449 §7.1: the DPoP proof fails a check. */
export class InvalidDpopProofError extends BatonAuthError {
  constructor(description: string) {
    super('invalid_dpop_proof', 401, description);
  }
}

/** RFC 9449 §8: the proof lacks the nonce this resource asks for; retry with `DPoP-Nonce`. */
export class UseDpopNonceError extends BatonAuthError {
  constructor(
    description: string,
    readonly nonce: string,
  ) {
    super('use_dpop_nonce', 401, description);
  }
}

/**
 * Fail closed: the verifier cannot tell whether the token is still good (the feed is stale and
 * Baton does not answer introspection). 503 with `Retry-After`; the token may be fine.
 */
export class UnavailableError extends BatonAuthError {
  constructor(
    description: string,
    readonly retryAfterSeconds: number,
  ) {
    super('temporarily_unavailable', 503, description);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}
