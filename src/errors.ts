/**
 * One error family for all of Baton. `code` is the RFC error code sent to the caller,
 * `description` is the human-readable `error_description`, and `debug` is detail that is
 * logged but never sent (fosite's split). http/errors.ts maps these to JSON exactly once.
 */
import type { ErrorCode } from './protocol/errors.js';

export type { ErrorCode };

export class BatonError extends Error {
  /** Extra members of the error JSON (e.g. approval_id, interval). */
  extra?: Record<string, unknown>;
  /** Extra response headers (e.g. WWW-Authenticate). */
  headers?: Record<string, string>;
  /** The policy rule that refused (config path or Cedar policy id), for the audit trail. */
  rule?: string;
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    readonly description: string,
    readonly debug?: unknown,
  ) {
    super(`${code}: ${description}`);
    this.name = 'BatonError';
  }
}

const make = (code: ErrorCode, status: number) =>
  class extends BatonError {
    constructor(description: string, debug?: unknown) {
      super(code, status, description, debug);
    }
  };

export const InvalidRequest = make('invalid_request', 400);
export const UnauthorizedClient = make('unauthorized_client', 400);
export const UnsupportedGrantType = make('unsupported_grant_type', 400);
export const UnsupportedTokenType = make('unsupported_token_type', 400);
export const InvalidScope = make('invalid_scope', 400);
export const InvalidTarget = make('invalid_target', 400);
export const InvalidAuthorizationDetails = make('invalid_authorization_details', 400);
export const AccessDenied = make('access_denied', 400);
export const ExpiredToken = make('expired_token', 400);
export const SlowDown = make('slow_down', 400);
export const TemporarilyUnavailable = make('temporarily_unavailable', 503);
export const ServerError = make('server_error', 500);
export const NotFound = make('not_found', 404);
export const MethodNotAllowed = make('method_not_allowed', 405);

/** 413: the body is over the limit; still an RFC 6749 `invalid_request`. */
export class PayloadTooLarge extends BatonError {
  constructor(limit: number) {
    super('invalid_request', 413, `request body exceeds ${limit} bytes`);
    // Stop reading: the rest of the body is never drained on a kept-alive connection.
    this.headers = { Connection: 'close' };
  }
}

/** RFC 6749 §5.2: 401, with WWW-Authenticate naming the scheme the client should use. */
export class InvalidClient extends BatonError {
  constructor(description: string, debug?: unknown) {
    super('invalid_client', 401, description, debug);
    this.headers = { 'WWW-Authenticate': 'Basic realm="baton"' };
  }
}

/** Bearer-protected endpoints (admin API): RFC 6750 §3. */
export class InvalidToken extends BatonError {
  constructor(description: string, status = 401) {
    super('invalid_token', status, description);
    this.headers = { 'WWW-Authenticate': `Bearer realm="baton", error="invalid_token"` };
  }
}

export class Forbidden extends BatonError {
  constructor(description: string) {
    super('access_denied', 403, description);
  }
}

export class AuthorizationPending extends BatonError {
  constructor(description: string, extra: Record<string, unknown>) {
    super('authorization_pending', 400, description);
    this.extra = extra;
  }
}

/** Tags an error with the rule that made it (kept for audit; the description names it too). */
export function byRule<E extends BatonError>(err: E, rule: string): E {
  err.rule = rule;
  return err;
}

export const isBatonError = (e: unknown): e is BatonError => e instanceof BatonError;
