/**
 * `@baton/resource-server/express`: the verifier as Express 5 middleware (the only file of the
 * package that imports express), and the RFC 9728 metadata routes.
 */
import type { ToolCallRequest } from '@baton/protocol';
import { type Request, type RequestHandler, Router } from 'express';
import { protectedResourceMetadata, resourceMetadataPaths } from '../metadata.js';
import type { VerifierOptions } from '../options.js';
import type { BatonPrincipal } from '../principal.js';
import { enforceRouteCall } from '../tool-call.js';
import { type BatonVerifier, createVerifier, type VerifyRequirements } from '../verifier.js';

declare global {
  namespace Express {
    interface Request {
      /** The checked principal, set by requireBaton. */
      baton?: BatonPrincipal;
    }
  }
}

/** How a route names the call it makes: the action, and its arguments from the request. */
export interface RouteToolCall {
  action: string | ((req: Request) => string);
  arguments?: (req: Request) => Record<string, unknown> | undefined;
}

export interface RequireBatonOptions extends VerifyRequirements {
  /** Enforce the bound call: a `tool_call`-bound token runs only this call (assertToolCall). */
  toolCall?: RouteToolCall;
  /** Refuse tokens bound to no call on this route (default: the verifier's requireBoundCalls). */
  requireBound?: boolean;
  /**
   * The handler calls assertToolCall itself. Without `toolCall` or this, a `tool_call`-bound
   * token is refused here (403): a bound token runs only where its call is declared.
   */
  handlerChecksCall?: boolean;
}

export interface BatonExpressOptions extends VerifierOptions {
  /** The origin clients address (the DPoP `htu`) when a proxy sits in front; default the Host. */
  publicOrigin?: string;
}

export interface BatonExpress {
  verifier: BatonVerifier;
  /** Middleware: 401/403/503 with the exact challenge, or `req.baton` and next(). */
  requireBaton(o?: RequireBatonOptions): RequestHandler;
  /** `/.well-known/oauth-protected-resource` (and its RFC 9728 path form). */
  metadata(): Router;
  close(): Promise<void>;
}

const callOf = (t: RouteToolCall, req: Request): ToolCallRequest => {
  const args = t.arguments?.(req);
  return {
    action: typeof t.action === 'string' ? t.action : t.action(req),
    ...(args !== undefined ? { arguments: args } : {}),
  };
};

/** Express wiring of a verifier (made here from options, or given). */
export function batonExpress(
  o: BatonExpressOptions | { verifier: BatonVerifier; publicOrigin?: string },
): BatonExpress {
  const verifier = 'verifier' in o ? o.verifier : createVerifier(o);
  const origin = o.publicOrigin?.replace(/\/+$/, '');
  const urlOf = (req: Request) =>
    `${origin ?? `${req.protocol}://${req.get('host')}`}${req.originalUrl}`;
  return {
    verifier,
    requireBaton(r = {}) {
      const requireBound = r.requireBound ?? verifier.options.requireBoundCalls ?? false;
      return (req, res, next) => {
        verifier
          .verify({ method: req.method, url: urlOf(req), headers: req.headersDistinct }, r)
          .then((principal) => {
            enforceRouteCall(principal, {
              ...(r.toolCall ? { call: callOf(r.toolCall, req) } : {}),
              requireBound,
              ...(r.handlerChecksCall ? { handlerChecksCall: true } : {}),
            });
            req.baton = principal;
            next();
          })
          .catch((e: unknown) => {
            const refusal = verifier.refusal(e);
            res.status(refusal.status).set(refusal.headers).json(refusal.body);
          });
      };
    },
    metadata() {
      const router = Router();
      const body = protectedResourceMetadata(verifier);
      for (const path of resourceMetadataPaths(verifier.options.resource))
        router.get(path, (_req, res) => {
          res.set('Cache-Control', 'public, max-age=300').json(body);
        });
      return router;
    },
    close: () => verifier.close(),
  };
}

/** `requireBaton(verifier, { scope })`: the middleware alone, for a verifier made elsewhere. */
export function requireBaton(verifier: BatonVerifier, o: RequireBatonOptions = {}): RequestHandler {
  return batonExpress({ verifier }).requireBaton(o);
}
