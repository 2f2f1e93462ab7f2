import { type ToolCallRequest, toolCallMismatch } from '@baton/protocol';
import { ToolCallMismatchError } from './errors.js';
import type { BatonPrincipal } from './principal.js';

export interface AssertToolCallOptions {
  /** Refuse a token bound to no call (the tool declares every call needs a bound token). */
  requireBound?: boolean;
}

/**
 * The bound call (RFC 9396 `tool_call`): a token bound to one call runs that call only. The
 * comparison is the protocol's own (`toolCallMismatch`, RFC 8785 canonical JSON), the one the
 * agent SDK and Baton use, so reordered keys are the same call and anything else is not.
 * Throws ToolCallMismatchError (403) on a mismatch; returns quietly otherwise.
 */
export function assertToolCall(
  principal: BatonPrincipal,
  call: ToolCallRequest,
  o: AssertToolCallOptions = {},
): void {
  const detail = principal.toolCall;
  if (!detail) {
    if (o.requireBound)
      throw new ToolCallMismatchError(
        `this tool requires a token bound to the call (tool_call ${call.action})`,
        'unbound',
      );
    return;
  }
  if (detail.tool !== principal.aud)
    throw new ToolCallMismatchError('the token is bound to a call of another tool', 'tool');
  const why = toolCallMismatch(detail, call);
  if (why === 'action')
    throw new ToolCallMismatchError(
      `the token is bound to action ${detail.action}, not ${call.action}`,
      'action',
    );
  if (why === 'arguments')
    throw new ToolCallMismatchError(
      `the token is bound to other arguments of ${detail.action}`,
      'arguments',
    );
}

/** How a route states the call it runs, for `enforceRouteCall`. */
export interface RouteCallRule {
  /** The call this request makes, when the route declares one. */
  call?: ToolCallRequest;
  /** Refuse tokens bound to no call. */
  requireBound: boolean;
  /** The handler calls assertToolCall itself: a bound token may reach it undeclared. */
  handlerChecksCall?: boolean;
}

/**
 * The bound-call rule of a route, failing closed: a token bound to one call runs only where
 * that call is declared, so a token approved for `close_ticket(t-1)` cannot be spent on a
 * route that declares no call (unless its handler says it checks the call itself).
 */
export function enforceRouteCall(principal: BatonPrincipal, rule: RouteCallRule): void {
  if (rule.call) return assertToolCall(principal, rule.call, { requireBound: rule.requireBound });
  if (principal.toolCall && !rule.handlerChecksCall)
    throw new ToolCallMismatchError(
      `the token is bound to one call (tool_call ${principal.toolCall.action}); this route declares no call`,
      'undeclared',
    );
  if (rule.requireBound) assertToolCall(principal, { action: '' }, { requireBound: true });
}
