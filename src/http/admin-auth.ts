import type { NextFunction, Request, Response } from 'express';
import { secretMatches } from '../auth/secrets.js';
import { InvalidToken } from '../errors.js';
import type { BatonContext } from '../context.js';

/** True when the request carries a valid admin key (RFC 6750 bearer). Constant time per key. */
export function isAdmin(ctx: BatonContext, authorization: string | undefined): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  const hashes = ctx.config.admin?.keyHashes ?? [];
  if (!m) return false;
  let ok = false;
  for (const h of hashes) ok = secretMatches(m[1]!, h) || ok;
  return ok;
}

/** The admin API is never open: no configured key means every request is refused. */
export function requireAdmin(ctx: BatonContext) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!isAdmin(ctx, req.headers.authorization))
      throw new InvalidToken('an admin key is required (Authorization: Bearer <admin key>)');
    next();
  };
}
