import type { ServerResponse } from 'node:http';
import { isBatonError } from '../errors.js';
import type { Logger } from '../log.js';
import { sendJson } from './respond.js';

/**
 * The one mapping from errors to RFC 6749 §5.2 JSON, used by the lean lane and by express.
 * `debug` and unexpected errors go to the log, never to the caller.
 */
export function sendError(res: ServerResponse, err: unknown, log: Logger, route: string): void {
  if (isBatonError(err)) {
    if (err.status >= 500)
      log.warn({ route, code: err.code, debug: describe(err.debug) }, err.description);
    else log.debug({ route, code: err.code, debug: describe(err.debug) }, err.description);
    sendJson(
      res,
      err.status,
      { error: err.code, error_description: err.description, ...err.extra },
      err.headers,
    );
    return;
  }
  log.error({ route, err: describe(err) }, 'unexpected error');
  sendJson(res, 500, { error: 'server_error', error_description: 'internal error' });
}

/** Error detail for the log: name and message only (messages of ours never hold tokens). */
function describe(e: unknown): unknown {
  if (e instanceof Error)
    return {
      name: e.name,
      message: e.message,
      ...(e.cause instanceof Error ? { cause: e.cause.message } : {}),
    };
  return e;
}
