import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, Router } from 'express';
import helmet from 'helmet';
import { OidcLogin, type LoginFlow } from '../../admin/oidc-login.js';
import { endSession, openSession } from '../../admin/sessions.js';
import { DEFAULTS } from '../../config/defaults.js';
import { BatonError, InvalidRequest, NotFound } from '../../errors.js';
import { adminForKey, authenticateAdmin, ownOrigin, sessionLimits } from '../admin-auth.js';
import { cookie, isLoopback, loginCookieName, readCookie, sessionCookieName } from '../cookies.js';
import { type HttpDeps, requestCtx } from '../deps.js';

/** Where `npm run build:console` puts the console: dist/console/ (from src/ or from dist/). */
export function consoleAssetsDir(): string | undefined {
  const candidates = ['../../../dist/console/', '../../console/'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((d) => existsSync(`${d}index.html`));
}

const encodeFlow = (f: LoginFlow) => Buffer.from(JSON.stringify(f)).toString('base64url');
function decodeFlow(v: string | undefined): LoginFlow | undefined {
  if (!v || !/^[A-Za-z0-9_-]{1,2000}$/.test(v)) return undefined;
  try {
    const f = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as Partial<LoginFlow>;
    return typeof f.state === 'string' &&
      typeof f.nonce === 'string' &&
      typeof f.verifier === 'string'
      ? (f as LoginFlow)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * /console: the admin console's static assets behind a strict CSP (no inline script, nothing
 * from another origin), and its login: OIDC with the company IdP, or an admin key turned into
 * a session (break-glass, the demo), then logout. docs/console.md.
 */
export function consoleRouter(deps: HttpDeps): Router {
  const { ctx, log } = deps;
  const r = Router();
  const loopback = isLoopback(ctx.config.issuer);
  const limits = sessionLimits(ctx);
  const o = ctx.config.admin?.oidc;
  // Signing in and out are admin actions too: audit events naming the admin and role.
  const signedIn = (name: string, role: string, via: 'oidc' | 'key') =>
    ctx.audit.emit({
      type: 'admin_signed_in',
      client: 'admin',
      admin: { name, role },
      decision: 'allow',
      detail: { via },
    });
  const login = o
    ? new OidcLogin({
        issuer: o.issuer,
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        redirectUri: o.redirectUri ?? `${ctx.config.issuer.replace(/\/$/, '')}/console/callback`,
        roleClaim: o.roleClaim,
        scopes: o.scopes,
        allowInsecureRequests: o.allowInsecureRequests,
      })
    : undefined;

  r.use(
    '/console',
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          // Plain http on loopback (the demo) must not be upgraded to an https that is not there.
          ...(loopback ? {} : { upgradeInsecureRequests: [] }),
        },
      },
      strictTransportSecurity: loopback ? false : undefined,
      // Not no-referrer: under it a form POST sends `Origin: null`, and the Origin check refuses it.
      referrerPolicy: { policy: 'same-origin' },
    }),
    (_req, res, next) => {
      res.set('Cache-Control', 'no-store');
      next();
    },
  );

  const setSession = (res: Response, secret: string) =>
    res.append(
      'Set-Cookie',
      cookie(ctx, sessionCookieName(ctx), secret, {
        maxAgeSeconds: limits.absoluteSeconds,
        sameSite: 'Strict',
      }),
    );
  const back = (res: Response, error?: string) =>
    res.redirect(303, error ? `/console/?login_error=${encodeURIComponent(error)}` : '/console/');

  r.get('/console/login', async (_req, res) => {
    if (!login) throw new NotFound('no OIDC login is configured (admin.oidc)');
    const { url, flow } = await login.start();
    res.append(
      'Set-Cookie',
      cookie(ctx, loginCookieName(ctx), encodeFlow(flow), {
        maxAgeSeconds: DEFAULTS.loginFlowSeconds,
        sameSite: 'Lax',
      }),
    );
    res.redirect(303, url);
  });

  r.get('/console/callback', async (req: Request, res) => {
    const store = requestCtx(ctx, res).store;
    if (!login) throw new NotFound('no OIDC login is configured (admin.oidc)');
    // Single use: the flow cookie goes now, and its state can be redeemed once on any instance.
    res.append(
      'Set-Cookie',
      cookie(ctx, loginCookieName(ctx), '', { maxAgeSeconds: 0, sameSite: 'Lax' }),
    );
    const flow = decodeFlow(readCookie(req.headers.cookie, loginCookieName(ctx)));
    if (!flow) return back(res, 'the login expired or was already used; sign in again');
    if (!(await store.useOnce('console-login', flow.state, DEFAULTS.loginFlowSeconds)))
      return back(res, 'this login was already used; sign in again');
    try {
      const base = `${ctx.config.issuer.replace(/\/$/, '')}`;
      const who = await login.finish(new URL(req.originalUrl, base), flow);
      const previous = readCookie(req.headers.cookie, sessionCookieName(ctx));
      const { secret } = await openSession(store, { ...who, via: 'oidc' }, limits, previous);
      signedIn(who.admin, who.role, 'oidc');
      log.info(
        { op: 'console_login', admin: who.admin, role: who.role, via: 'oidc' },
        'admin signed in',
      );
      setSession(res, secret);
      back(res);
    } catch (e) {
      if (!(e instanceof BatonError)) throw e;
      ctx.audit.emit({
        type: 'admin_sign_in_refused',
        client: 'admin',
        decision: 'deny',
        error: e.code,
        reason: e.description,
        detail: { via: 'oidc' },
      });
      log.warn(
        { op: 'console_login', err: e.description, debug: e.debug },
        'console login refused',
      );
      back(res, e.description);
    }
  });

  // Break-glass (and the demo): an admin key, sent once in a form, becomes a session.
  r.post(
    '/console/login/key',
    express.urlencoded({ extended: false, limit: '4kb' }),
    async (req, res) => {
      if (req.headers.origin !== undefined && req.headers.origin !== ownOrigin(ctx))
        throw new InvalidRequest('a login must come from Baton’s own origin');
      const key = (req.body as { key?: unknown } | undefined)?.key;
      const actor = typeof key === 'string' && key !== '' ? adminForKey(ctx, key) : undefined;
      if (!actor) {
        ctx.audit.emit({
          type: 'admin_sign_in_refused',
          client: 'admin',
          decision: 'deny',
          reason: 'that admin key is not valid',
          detail: { via: 'key' },
        });
        return back(res, 'that admin key is not valid');
      }
      const previous = readCookie(req.headers.cookie, sessionCookieName(ctx));
      const { secret } = await openSession(
        requestCtx(ctx, res).store,
        { admin: actor.name, role: actor.role, via: 'key' },
        limits,
        previous,
      );
      signedIn(actor.name, actor.role, 'key');
      log.info(
        { op: 'console_login', admin: actor.name, role: actor.role, via: 'key' },
        'admin signed in',
      );
      setSession(res, secret);
      back(res);
    },
  );

  // Logout ends the session in the store (every instance), not only in this browser.
  r.post('/console/logout', async (req, res) => {
    const rc = requestCtx(ctx, res);
    const { session } = await authenticateAdmin(rc, req);
    const secret = readCookie(req.headers.cookie, sessionCookieName(ctx));
    if (session && secret) {
      await endSession(rc.store, secret);
      ctx.audit.emit({
        type: 'admin_signed_out',
        client: 'admin',
        admin: { name: session.admin, role: session.role },
        decision: 'done',
        detail: { via: session.via },
      });
    }
    res.append(
      'Set-Cookie',
      cookie(ctx, sessionCookieName(ctx), '', { maxAgeSeconds: 0, sameSite: 'Strict' }),
    );
    res.json({ logged_out: true });
  });

  // Relative URLs of the console's assets need the trailing slash (express matches both).
  r.get('/console', (req, res, next) =>
    req.originalUrl === '/console' ? res.redirect(301, '/console/') : next(),
  );
  const assets = consoleAssetsDir();
  if (assets) r.use('/console', express.static(assets, { index: 'index.html', fallthrough: true }));
  else
    r.get('/console/', () => {
      throw new NotFound('the console is not built: run `npm run build`');
    });
  return r;
}
