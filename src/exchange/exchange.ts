import {
  AuthorizationPending,
  BatonError,
  InvalidAuthorizationDetails,
  InvalidRequest,
  InvalidTarget,
  SlowDown,
  UnauthorizedClient,
} from '../errors.js';
import type { Client } from '../auth/clients.js';
import { TOKEN_TYPE_ACCESS, actorChain, type BatonClaims } from '../tokens/claims.js';
import type { BatonContext } from '../context.js';
import { handOff } from './hand-off.js';
import type { ExchangeRequest } from './request.js';
import { verifyActor, verifySubject } from './subject.js';
import { resolveTarget } from './target.js';
import { startTask } from './task-start.js';
import { issueToolToken } from './tool-token.js';
import { epochSeconds } from '../clock.js';

/** RFC 8693 §2.2.1 response, minus transport. */
export interface ExchangeResponse {
  access_token: string;
  issued_token_type: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  /** RFC 9396 §7: the details the token was issued for. */
  authorization_details?: unknown[];
}

export interface ExchangeOutcome {
  response: ExchangeResponse;
  claims: BatonClaims;
  operation: 'start_task' | 'tool_token' | 'hand_off';
}

/**
 * The RFC 8693 decision: authenticate (done by the caller) -> verify subject/actor -> target ->
 * policy -> mint -> record. Which operation it is follows from what is presented (docs/tokens.md,
 * "Who may do what"); each lives in its own file.
 */
export async function exchangeToken(
  ctx: BatonContext,
  client: Client,
  req: ExchangeRequest,
): Promise<ExchangeOutcome> {
  const seen: Seen = {};
  try {
    return await decide(ctx, client, req, seen);
  } catch (err) {
    // Every refusal is an audit event with the rule that made it (never the token itself).
    // A pending approval is not a refusal (its own events tell that story).
    if (
      err instanceof BatonError &&
      err.status < 500 &&
      !(err instanceof AuthorizationPending) &&
      !(err instanceof SlowDown)
    )
      ctx.audit.emit({
        type: 'exchange_refused',
        ...(seen.txn ? { txn: seen.txn } : {}),
        ...(seen.act ? { act: seen.act } : {}),
        ...(seen.sub ? { sub: seen.sub } : {}),
        client: client.id,
        decision: 'deny',
        ...(err.rule ? { rule: err.rule } : {}),
        error: err.code,
        reason: err.description,
      });
    throw err;
  }
}

/** What was learned about the request before a refusal, for its audit event. */
interface Seen {
  txn?: string;
  act?: string[];
  sub?: string;
}

async function decide(
  ctx: BatonContext,
  client: Client,
  req: ExchangeRequest,
  seen: Seen,
): Promise<ExchangeOutcome> {
  if (client.kind !== 'agent')
    throw new UnauthorizedClient(
      `client ${client.id} is a resource server; it may not exchange tokens`,
    );
  const caller = client.agent;
  const subject = await verifySubject(ctx, req.subjectToken);
  const target = resolveTarget(ctx, req);
  if (subject.kind === 'task')
    Object.assign(seen, {
      txn: subject.claims.txn,
      act: actorChain(subject.claims.act),
      sub: subject.claims.sub,
    });
  else seen.sub = subject.id.sub;
  const actor = req.actorToken !== undefined ? await verifyActor(ctx, req.actorToken) : undefined;

  let issued: Awaited<ReturnType<typeof startTask>>;
  let operation: ExchangeOutcome['operation'];
  if (target.kind !== 'tool') {
    if (req.authorizationDetails !== undefined)
      throw new InvalidAuthorizationDetails(
        'authorization_details describe a tool call; send them with a tool token request',
      );
    if (req.approvalId !== undefined)
      throw new InvalidRequest('approval_id applies to tool token requests only');
  }
  if (subject.kind === 'user') {
    if (target.kind === 'tool')
      throw new InvalidTarget(
        'a user token starts a task (audience = Baton); exchange the task token for a tool token',
      );
    issued = await startTask(ctx, caller, subject.id, req, actor ?? caller);
    operation = 'start_task';
  } else {
    if (req.purpose !== undefined)
      throw new InvalidRequest('purpose is accepted only when starting a task');
    if (target.kind === 'tool') {
      issued = await issueToolToken(ctx, caller, subject.claims, target.tool, req);
      operation = 'tool_token';
    } else {
      if (target.kind === 'none')
        throw new InvalidRequest(
          `name a target: audience=${ctx.config.issuer} to take the task over, or a tool as resource`,
        );
      issued = await handOff(ctx, caller, subject.claims, req, actor);
      operation = 'hand_off';
    }
  }
  const now = epochSeconds();
  return {
    operation,
    claims: issued.claims,
    response: {
      access_token: issued.token,
      issued_token_type: req.requestedTokenType ?? TOKEN_TYPE_ACCESS,
      token_type: 'Bearer',
      expires_in: Math.max(0, issued.claims.exp - now),
      scope: issued.claims.scope,
      ...(issued.claims.authorization_details
        ? { authorization_details: issued.claims.authorization_details }
        : {}),
    },
  };
}
