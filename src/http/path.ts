import type { NextFunction, Request, Response } from 'express';
import { InvalidRequest } from '../errors.js';

const malformedPath = () =>
  new InvalidRequest('the request path is not valid percent-encoding (RFC 3986 §2.1)');

/**
 * The one place a path's percent-encoding is checked, ahead of every route and of the admin
 * key: a path that does not decode (`%FF` is no UTF-8, `%zz` no escape) is the caller's
 * mistake, 400 `invalid_request`, whatever route it would have reached. Express would otherwise
 * throw a URIError while matching a route with a parameter, an unexpected 500.
 */
export function requireDecodablePath(req: Request, _res: Response, next: NextFunction): void {
  try {
    decodeURIComponent(req.path);
  } catch {
    throw malformedPath();
  }
  next();
}

/** Express's own decoding failure (a URIError with status 400), should one get past the check. */
export function fromPathDecodingError(err: unknown): InvalidRequest | undefined {
  return err instanceof URIError ? malformedPath() : undefined;
}
