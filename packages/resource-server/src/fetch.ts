import type { ToolCallRequest } from '@baton/protocol';
import type { BatonPrincipal } from './principal.js';
import { enforceRouteCall } from './tool-call.js';
import type { BatonVerifier, Refusal, VerifyRequirements } from './verifier.js';

/** The verifier's check of a fetch-API `Request` (Hono, Next.js route handlers, Deno, Bun…). */
export function verifyRequest(
  v: BatonVerifier,
  request: Request,
  need?: VerifyRequirements,
): Promise<BatonPrincipal> {
  return v.verify({ method: request.method, url: request.url, headers: request.headers }, need);
}

/** A refusal as a fetch-API `Response` (JSON body, challenge headers). */
export function refusalResponse(r: Refusal): Response {
  return new Response(JSON.stringify(r.body), {
    status: r.status,
    headers: { ...r.headers, 'Content-Type': 'application/json' },
  });
}

export interface WithBatonOptions extends VerifyRequirements {
  /** The call this request makes, for a `tool_call`-bound token (assertToolCall). */
  toolCall?: (request: Request) => ToolCallRequest | Promise<ToolCallRequest>;
  requireBound?: boolean;
  /** The handler calls assertToolCall itself (else a bound token needs `toolCall` declared). */
  handlerChecksCall?: boolean;
}

/**
 * Wraps a fetch handler: the handler runs only for a request whose token passes (scope, DPoP,
 * revocation, the bound call); anything else is answered with the exact refusal.
 */
export function withBaton(
  v: BatonVerifier,
  o: WithBatonOptions,
  handler: (request: Request, principal: BatonPrincipal) => Response | Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    let principal: BatonPrincipal;
    try {
      principal = await verifyRequest(v, request, o);
      enforceRouteCall(principal, {
        ...(o.toolCall ? { call: await o.toolCall(request) } : {}),
        requireBound: o.requireBound ?? v.options.requireBoundCalls ?? false,
        ...(o.handlerChecksCall ? { handlerChecksCall: true } : {}),
      });
    } catch (e) {
      return refusalResponse(v.refusal(e));
    }
    return handler(request, principal);
  };
}
