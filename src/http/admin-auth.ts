import type { NextFunction, Request, Response } from 'express';
import { timingSafeEqual, createHash } from 'node:crypto';
import { useSession } from '../admin/sessions.js';
import { type AdminActor, type AdminRole, roleAllows } from '../admin/roles.js';
import { secretMatches } from '../auth/secrets.js';
import { requestCtx } from './deps.js';
import type { BatonContext } from '../context.js';
import { DEFAULTS } from '../config/defaults.js';
import { AccessDenied, InvalidToken } from '../errors.js';
import type { SessionRecord } from '../store/types.js';
import { readCookie, sessionCookieName } from './cookies.js';

interface AdminKey {
  name: string;
  hash: string;
  role: AdminRole;
}

/** Named keys, and the unnamed `keyHashes` of the first form as `key-<n>` with role admin. */
function adminKeys(ctx: BatonContext): AdminKey[] {
  const a = ctx.config.admin;
  return [
    ...(a?.keys ?? []).map((k) => ({ name: k.name, hash: k.keyHash, role: k.role })),
    ...(a?.keyHashes ?? []).map((hash, i) => ({
      name: `key-${i + 1}`,
      hash,
      role: 'admin' as const,
    })),
  ];
}

/** The admin a presented key belongs to. Every key is compared (constant time per key). */
export function adminForKey(ctx: BatonContext, presented: string): AdminActor | undefined {
  let found: AdminActor | undefined;
  for (const k of adminKeys(ctx))
    if (secretMatches(presented, k.hash) && !found)
      found = { name: k.name, role: k.role, via: 'key' };
  return found;
}

const bearer = (authorization: string | undefined) =>
  /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];

/** True when the request carries a valid admin key (RFC 6750 bearer), of any role. */
export function isAdmin(ctx: BatonContext, authorization: string | undefined): boolean {
  const key = bearer(authorization);
  return key !== undefined && adminForKey(ctx, key) !== undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Reads need viewer, deciding an approval approver, everything else that changes state admin. */
export function requiredRole(method: string, path: string): AdminRole {
  if (SAFE_METHODS.has(method)) return 'viewer';
  if (/^\/admin\/approvals\/[^/]+\/(approve|deny)$/.test(path)) return 'approver';
  if (path === '/admin/logout') return 'viewer';
  return 'admin';
}

const sameText = (a: string, b: string) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** Baton's own origin: the only one a state-changing admin request may come from. */
export const ownOrigin = (ctx: BatonContext): string => new URL(ctx.config.issuer).origin;

export const sessionLimits = (ctx: BatonContext) => ({
  idleSeconds: ctx.config.admin?.session.idleSeconds ?? DEFAULTS.sessionIdleSeconds,
  absoluteSeconds: ctx.config.admin?.session.absoluteSeconds ?? DEFAULTS.sessionAbsoluteSeconds,
});

/**
 * Who calls: a Bearer admin key (CLI) or a console session cookie. A state-changing request
 * from a browser must come from Baton's own origin (any `Origin` header is checked, a session
 * must send one) and, with a session, carry its CSRF token in `X-CSRF-Token`. Never CORS.
 */
export async function authenticateAdmin(
  ctx: BatonContext,
  req: Request,
): Promise<{ actor: AdminActor; session?: SessionRecord }> {
  const changing = !SAFE_METHODS.has(req.method);
  const origin = req.headers.origin;
  if (changing && origin !== undefined && origin !== ownOrigin(ctx))
    throw new AccessDenied('a state-changing admin request must come from Baton’s own origin', {
      status: 403,
    });
  const key = bearer(req.headers.authorization);
  if (req.headers.authorization !== undefined) {
    const actor = key === undefined ? undefined : adminForKey(ctx, key);
    if (!actor) throw new InvalidToken('the admin key is not valid');
    return { actor };
  }
  const secret = readCookie(req.headers.cookie, sessionCookieName(ctx));
  const session = secret ? await useSession(ctx.store, secret, sessionLimits(ctx)) : undefined;
  if (!session)
    throw new InvalidToken(
      'an admin key (Authorization: Bearer <admin key>) or a console session is required',
    );
  if (changing) {
    if (origin === undefined)
      throw new AccessDenied('a console request that changes state must send Origin', {
        status: 403,
      });
    const csrf = req.headers['x-csrf-token'];
    if (typeof csrf !== 'string' || !sameText(csrf, session.csrf))
      throw new AccessDenied('the CSRF token (X-CSRF-Token) is missing or wrong', { status: 403 });
  }
  return { actor: { name: session.admin, role: session.role, via: 'session' }, session };
}

/**
 * The admin API is never open: no configured key or login means every request is refused.
 * The caller's role must include the route's; the action runs as that admin, so every audit
 * event it emits names them.
 */
export function requireAdmin(ctx: BatonContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // The session's touch is this request's store work (its budget, src/scope.ts).
    authenticateAdmin(requestCtx(ctx, res), req)
      .then(({ actor, session }) => {
        const path = new URL(req.originalUrl, 'http://baton.invalid').pathname;
        const needed = requiredRole(req.method, path);
        if (!roleAllows(actor.role, needed))
          throw new AccessDenied(`this needs the ${needed} role (you are ${actor.role})`, {
            status: 403,
          });
        res.locals.admin = actor;
        if (session) res.locals.session = session;
        next();
      })
      .catch(next);
  };
}

/** The admin authenticated for this request (set by requireAdmin); fails closed without one. */
export function adminOf(res: Response): AdminActor {
  const actor = res.locals.admin as AdminActor | undefined;
  if (!actor) throw new InvalidToken('an admin key or a console session is required');
  return actor;
}
