import {
  AuthorizationPending,
  BatonError,
  InvalidAuthorizationDetails,
  InvalidRequest,
  InvalidTarget,
  SlowDown,
  UnauthorizedClient,
} from '../errors.js';
import { agentById, type Client } from '../auth/clients.js';
import { TOKEN_TYPE_ACCESS, actorChain, type BatonClaims } from '../tokens/claims.js';
import type { ExchangeDeps } from './deps.js';
import { handOff } from './hand-off.js';
import type { ExchangeRequest } from './request.js';
import { verifyActor, verifySubject } from './subject.js';
import { resolveTarget } from './target.js';
import { startTask } from './task-start.js';
import { issueToolToken } from './tool-token.js';
import { epochSeconds } from '../clock.js';
import { type DpopRequest, verifyDpopProof } from '../auth/dpop.js';
import { confirmationOf, requireProofFor, requireProofOfAgent } from './binding.js';
import { offerHandOff, redeemHandOffOffer, TOKEN_TYPE_HAND_OFF_OFFER } from './hand-off-offer.js';

/** RFC 8693 §2.2.1 response, minus transport. */
export interface ExchangeResponse {
  access_token: string;
  issued_token_type: string;
  /** RFC 9449 §5: `DPoP` for a bound token; `N_A` (RFC 8693 §2.2.1) for a hand-off offer. */
  token_type: 'Bearer' | 'DPoP' | 'N_A';
  expires_in: number;
  scope: string;
  /** RFC 9396 §7: the details the token was issued for. */
  authorization_details?: unknown[];
}

export interface ExchangeOutcome {
  response: ExchangeResponse;
  /** The issued token's claims (none for a hand-off offer). */
  claims?: BatonClaims;
  operation: 'start_task' | 'tool_token' | 'hand_off' | 'hand_off_offer';
}

/**
 * The RFC 8693 decision: authenticate (done by the caller) -> verify subject/actor -> target ->
 * policy -> mint -> record. Which operation it is follows from what is presented (docs/tokens.md,
 * "Who may do what"); each lives in its own file.
 */
export async function exchangeToken(
  ctx: ExchangeDeps,
  client: Client,
  req: ExchangeRequest,
  dpop: DpopRequest = { proofs: undefined, method: 'POST', url: '' },
): Promise<ExchangeOutcome> {
  const seen: Seen = {};
  try {
    return await decide(ctx, client, req, dpop, seen);
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
  ctx: ExchangeDeps,
  client: Client,
  req: ExchangeRequest,
  dpop: DpopRequest,
  seen: Seen,
): Promise<ExchangeOutcome> {
  if (client.kind !== 'agent')
    throw new UnauthorizedClient(
      `client ${client.id} is a resource server; it may not exchange tokens`,
    );
  const caller = client.agent;
  // Who may present an actor is decided before the actor token is read at all: verifying it
  // (signature, marks, its task's state in the store) first would let any agent learn from the
  // answer whether a token it holds a copy of is live, revoked or garbage. One answer for all.
  if (req.actorToken !== undefined && !caller.mayPresentActorTokens)
    throw new UnauthorizedClient(`client ${caller.id} may not present actor tokens`);
  // RFC 9449 §5: the proof is checked (and its jti recorded) before anything else is decided.
  const proof = await verifyDpopProof(ctx.dpop, dpop);
  requireProofOfAgent(caller.id, (caller.dpop ?? ctx.config.dpop.agents) === 'required', proof);
  let subjectToken = req.subjectToken;
  let offeredFrom: string | undefined;
  if (req.subjectTokenType === TOKEN_TYPE_HAND_OFF_OFFER) {
    // The new actor redeems an offer: its own proof binds the task token it gets.
    if (!proof)
      throw new InvalidRequest('redeem a hand-off offer with a DPoP proof of your own key');
    const redeemed = await redeemHandOffOffer(ctx, caller, req.subjectToken);
    subjectToken = redeemed.taskToken;
    offeredFrom = redeemed.parent;
  }
  const subject = await verifySubject(ctx, subjectToken);
  const target = resolveTarget(ctx, req);
  if (subject.kind === 'task')
    Object.assign(seen, {
      txn: subject.claims.txn,
      act: actorChain(subject.claims.act),
      sub: subject.claims.sub,
    });
  else seen.sub = subject.id.sub;
  if (offeredFrom !== undefined && (subject.kind !== 'task' || subject.claims.jti !== offeredFrom))
    throw new InvalidRequest('the hand-off offer does not carry the task token it names');
  // RFC 8693 §2.2.2 with RFC 9449 §6: a bound subject needs a proof by its key (an offer stands in
  // for the current actor's proof: it was made with one).
  const subjectJkt = confirmationOf(
    subject.kind === 'task' ? subject.claims.cnf : subject.id.claims.cnf,
    'subject_token',
  );
  if (offeredFrom === undefined) requireProofFor(subjectJkt, proof, 'subject_token');
  const verifiedActor =
    req.actorToken !== undefined ? await verifyActor(ctx, req.actorToken) : undefined;
  if (verifiedActor)
    requireProofFor(confirmationOf(verifiedActor.cnf, 'actor_token'), proof, 'actor_token');
  const actor = verifiedActor?.agent;
  // The issued token is bound to the proof's key; once a chain is bound it stays bound (a bound
  // subject cannot get here without a proof).
  const jkt = proof?.jkt;

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
  if (req.handOffTo !== undefined && (subject.kind !== 'task' || target.kind !== 'baton'))
    throw new InvalidRequest(
      `hand_off_to goes with a task token and audience=${ctx.config.issuer}`,
    );
  if (subject.kind === 'user') {
    if (target.kind === 'tool')
      throw new InvalidTarget(
        'a user token starts a task (audience = Baton); exchange the task token for a tool token',
      );
    issued = await startTask(ctx, caller, subject.id, req, actor ?? caller, jkt);
    operation = 'start_task';
  } else {
    if (req.purpose !== undefined)
      throw new InvalidRequest('purpose is accepted only when starting a task');
    if (target.kind === 'tool') {
      issued = await issueToolToken(ctx, caller, subject.claims, target.tool, req, jkt);
      operation = 'tool_token';
    } else {
      if (target.kind === 'none')
        throw new InvalidRequest(
          `name a target: audience=${ctx.config.issuer} to take the task over, or a tool as resource`,
        );
      const offerTo =
        subjectJkt !== undefined && offeredFrom === undefined
          ? (req.handOffTo ?? actor?.id)
          : req.handOffTo;
      if (offerTo !== undefined) {
        const next = agentById(ctx.clients, offerTo);
        if (!next)
          throw new InvalidRequest(`hand_off_to names ${offerTo}, which is not an enabled agent`);
        const made = await offerHandOff(ctx, caller, subject.claims, subjectToken, next);
        return {
          operation: 'hand_off_offer',
          response: {
            access_token: made.offer,
            issued_token_type: TOKEN_TYPE_HAND_OFF_OFFER,
            token_type: 'N_A',
            expires_in: made.expiresIn,
            scope: subject.claims.scope,
          },
        };
      }
      issued = await handOff(ctx, caller, subject.claims, req, actor, jkt);
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
      token_type: issued.claims.cnf ? 'DPoP' : 'Bearer',
      expires_in: Math.max(0, issued.claims.exp - now),
      scope: issued.claims.scope,
      ...(issued.claims.authorization_details
        ? { authorization_details: issued.claims.authorization_details }
        : {}),
    },
  };
}
