import type { ServerResponse } from 'node:http';
import { BatonError, ServerError } from '../errors.js';
import type { Logger } from '../log.js';
import { sendJson } from './respond.js';

/**
 * The one mapping from errors to RFC 6749 §5.2 JSON, used by the lean lane and by express.
 * `debug`, `cause` and unexpected errors go to the log, never to the caller.
 */
export function sendError(res: ServerResponse, err: unknown, log: Logger, route: string): void {
  let e: BatonError;
  if (err instanceof BatonError) {
    e = err;
    const fields = { route, code: e.code, debug: describe(e.debug), cause: describe(e.cause) };
    if (e.status >= 500 && !e.logged) log.warn(fields, e.description);
    else log.debug(fields, e.description);
  } else {
    log.error({ route, err: describe(err) }, 'unexpected error');
    e = new ServerError('internal error');
  }
  sendJson(
    res,
    e.status,
    { error: e.code, error_description: e.description, ...e.extra },
    e.headers,
  );
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
