/**
 * The SDK's one error family. A refusal from Baton keeps its RFC 6749 §5.2 / RFC 8693 code and
 * Baton's description; the SDK's own refusals (a missing scope at a tool, a lapsed approval, a
 * response it cannot read) use the same shape, so a caller switches on `code` alone.
 */
export class BatonError extends Error {
  /** The OAuth error code (`invalid_request`, `access_denied`, `insufficient_scope`, …). */
  readonly code: string;
  /** Baton's `error_description` (or the SDK's own), meant for people. */
  readonly description: string;
  /** The HTTP status of the answer, when one came. */
  readonly status: number | undefined;
  /** The whole JSON body of Baton's answer, when there was one (never holds a token). */
  readonly body: Record<string, unknown> | undefined;

  constructor(
    code: string,
    description: string,
    opts: { status?: number; body?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(`${code}: ${description}`, opts.cause !== undefined ? { cause: opts.cause } : {});
    this.name = 'BatonError';
    this.code = code;
    this.description = description;
    this.status = opts.status;
    this.body = opts.body;
  }
}

/** A tool answered 403 `insufficient_scope` and the scope it names could not be had. */
export class InsufficientScopeError extends BatonError {
  /** The scopes the tool's challenge said the operation needs (RFC 6750 §3.1). */
  readonly missingScope: string[];
  constructor(resource: string, missingScope: string[], cause?: unknown) {
    super(
      'insufficient_scope',
      `${resource} needs scope "${missingScope.join(' ')}", which this task cannot get`,
      { status: 403, cause },
    );
    this.name = 'InsufficientScopeError';
    this.missingScope = missingScope;
  }
}
