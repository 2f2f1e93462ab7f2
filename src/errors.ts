/**
 * One error family for all of Baton, one class per RFC error code (jose's `JOSEError` shape):
 * each class has a `static code` and `status`, and an instance's `name` is its class's name.
 * `description` is the `error_description` sent to the caller; `debug` is detail that is
 * logged but never sent (fosite's split). http/errors.ts maps these to JSON exactly once.
 */
import { DEFAULTS } from './config/defaults.js';
import type { ErrorCode } from './protocol/errors.js';

export type { ErrorCode };

/** What an error carries besides its description; set once, at construction. */
export interface BatonErrorOptions {
  /** Logged, never sent. */
  debug?: unknown;
  /** Extra response headers (e.g. WWW-Authenticate), over the class's own. */
  headers?: Record<string, string>;
  /** Extra members of the error JSON (e.g. approval_id, interval). */
  extra?: Record<string, unknown>;
  /** The policy rule that refused (config path or Cedar policy id), for the audit trail. */
  rule?: string;
  /** The HTTP status, when not the class's own (403 for a refusal of an authenticated caller). */
  status?: number;
  /** The error this one stands for (logged, never sent). */
  cause?: unknown;
  /**
   * Its cause was already logged where it was found (rate-limited), so the per-request line
   * of a 5xx is debug, not warn: a dependency that is down does not flood the log.
   */
  logged?: boolean;
}

export abstract class BatonError extends Error {
  /** The RFC error code every instance of the class sends. */
  declare static readonly code: ErrorCode;
  /** The HTTP status instances answer with unless `options.status` says otherwise. */
  declare static readonly status: number;
  readonly code: ErrorCode;
  readonly status: number;
  readonly debug?: unknown;
  readonly headers?: Record<string, string>;
  readonly extra?: Record<string, unknown>;
  readonly rule?: string;
  readonly logged: boolean;

  constructor(
    readonly description: string,
    options: BatonErrorOptions = {},
  ) {
    const { code, status } = new.target;
    super(
      `${code}: ${description}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? status;
    this.debug = options.debug;
    this.headers = options.headers;
    this.extra = options.extra;
    this.rule = options.rule;
    this.logged = options.logged === true;
  }
}

/** RFC 6749 §5.2: the request is malformed, or a rule of Baton refuses it. */
export class InvalidRequest extends BatonError {
  static override readonly code = 'invalid_request';
  static override readonly status: number = 400;
}

/** 413: the body is over the limit; still an RFC 6749 `invalid_request`. */
export class PayloadTooLarge extends InvalidRequest {
  static override readonly status = 413;
  constructor(readonly limit: number) {
    // Stop reading: the rest of the body is never drained on a kept-alive connection.
    super(`request body exceeds ${limit} bytes`, { headers: { Connection: 'close' } });
  }
}

/** RFC 6749 §5.2: 401, with WWW-Authenticate naming the scheme the client should use. */
export class InvalidClient extends BatonError {
  static override readonly code = 'invalid_client';
  static override readonly status = 401;
  constructor(description: string, options: BatonErrorOptions = {}) {
    super(description, {
      ...options,
      headers: { 'WWW-Authenticate': 'Basic realm="baton"', ...options.headers },
    });
  }
}

/** RFC 6749 §5.2: the client is authenticated but may not do this. */
export class UnauthorizedClient extends BatonError {
  static override readonly code = 'unauthorized_client';
  static override readonly status = 400;
}

export class UnsupportedGrantType extends BatonError {
  static override readonly code = 'unsupported_grant_type';
  static override readonly status = 400;
}

export class InvalidScope extends BatonError {
  static override readonly code = 'invalid_scope';
  static override readonly status = 400;
}

/** RFC 8693 §2.2.2: the resource or audience is not one Baton issues for. */
export class InvalidTarget extends BatonError {
  static override readonly code = 'invalid_target';
  static override readonly status = 400;
}

/** RFC 9396 §5. */
export class InvalidAuthorizationDetails extends BatonError {
  static override readonly code = 'invalid_authorization_details';
  static override readonly status = 400;
}

/** RFC 8628 §3.5 (an approver's denial); 403 when an authenticated caller may not act on it. */
export class AccessDenied extends BatonError {
  static override readonly code = 'access_denied';
  static override readonly status = 400;
}

/** RFC 8628 §3.5: the approval is still pending; `extra` carries its id and `interval`. */
export class AuthorizationPending extends BatonError {
  static override readonly code = 'authorization_pending';
  static override readonly status = 400;
}

/** RFC 8628 §3.5: polled faster than the `interval`. */
export class SlowDown extends BatonError {
  static override readonly code = 'slow_down';
  static override readonly status = 400;
}

/** RFC 8628 §3.5: the approval request lapsed. */
export class ExpiredToken extends BatonError {
  static override readonly code = 'expired_token';
  static override readonly status = 400;
}

/** RFC 9449 §5: a DPoP proof is malformed or fails a check of §4.3. */
export class InvalidDpopProof extends BatonError {
  static override readonly code = 'invalid_dpop_proof';
  static override readonly status = 400;
}

/** RFC 9449 §8: the proof lacks the server's current nonce; `DPoP-Nonce` carries a fresh one. */
export class UseDpopNonce extends BatonError {
  static override readonly code = 'use_dpop_nonce';
  static override readonly status = 400;
}

/** Bearer-protected endpoints (admin API): RFC 6750 §3. */
export class InvalidToken extends BatonError {
  static override readonly code = 'invalid_token';
  static override readonly status = 401;
  constructor(description: string, options: BatonErrorOptions = {}) {
    super(description, {
      ...options,
      headers: {
        'WWW-Authenticate': `Bearer realm="baton", error="invalid_token"`,
        ...options.headers,
      },
    });
  }
}

/**
 * RFC 6749 §5.2 (as extended for the token endpoint): 503, answer again later. RFC 9110 §10.2.3:
 * `Retry-After` says when, so clients back off instead of hammering a store that is down.
 */
export class TemporarilyUnavailable extends BatonError {
  static override readonly code = 'temporarily_unavailable';
  static override readonly status: number = 503;
  constructor(description: string, options: BatonErrorOptions = {}) {
    super(description, {
      ...options,
      headers: { 'Retry-After': String(DEFAULTS.retryAfterSeconds), ...options.headers },
    });
  }
}

/**
 * 429: a rate limit (src/limits/). Still RFC 6749's `temporarily_unavailable`, never RFC 8628's
 * `slow_down`, which approval polling uses; `Retry-After` (RFC 9110 §10.2.3) says when to retry.
 */
export class TooManyRequests extends BatonError {
  static override readonly code = 'temporarily_unavailable';
  static override readonly status = 429;
  constructor(
    description: string,
    readonly retryAfterSeconds: number,
    options: BatonErrorOptions = {},
  ) {
    super(description, {
      ...options,
      headers: { 'Retry-After': String(retryAfterSeconds), ...options.headers },
    });
  }
}

/** 500: what the caller is told about an error Baton did not expect (the log has the rest). */
export class ServerError extends BatonError {
  static override readonly code = 'server_error';
  static override readonly status = 500;
}

export class NotFound extends BatonError {
  static override readonly code = 'not_found';
  static override readonly status = 404;
}

export class MethodNotAllowed extends BatonError {
  static override readonly code = 'method_not_allowed';
  static override readonly status = 405;
}
