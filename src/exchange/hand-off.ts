import { InvalidRequest } from '../errors.js';
import type { AgentConfig } from '../config/schema.js';
import { actorChain, joinScope, splitScope, type BatonClaims } from '../tokens/claims.js';
import { checkHandOff, grantScopes, intersect } from '../policy/ceilings.js';
import { checkPolicy, withCedar } from '../policy/decide.js';
import type { ExchangeDeps } from './deps.js';
import { recordAndSign, type Issued } from './issue.js';
import type { ExchangeRequest } from './request.js';
import { agentById } from '../auth/clients.js';
import { epochSeconds } from '../clock.js';

/**
 * Hand-off: the task moves to a new actor, one `act` level deeper, same txn. Without an
 * actor_token the caller is the new actor; with one, the caller (allowed to present actors,
 * and the current or the new actor) names the new actor through it.
 */
export async function handOff(
  ctx: ExchangeDeps,
  caller: AgentConfig,
  task: BatonClaims,
  req: ExchangeRequest,
  actor: AgentConfig | undefined,
  jkt?: string,
): Promise<Issued> {
  const current = task.act.sub;
  let next: AgentConfig;
  if (actor) {
    // mayPresentActorTokens was checked before the actor token was verified (exchange.ts).
    if (caller.id !== current && caller.id !== actor.id)
      throw new InvalidRequest(
        `subject_token's current actor is ${current}; ${caller.id} may not present it`,
      );
    next = actor;
  } else {
    next = caller;
  }
  // RFC 9449 §6: the new token is bound to the prover's key, so the prover must be its new holder.
  if (jkt !== undefined && next.id !== caller.id)
    throw new InvalidRequest(
      `a DPoP-bound hand-off is taken by the new actor with its own proof; ${caller.id} is not ${next.id}`,
    );
  if (next.id === current)
    throw new InvalidRequest(`${current} already holds this task; ask for a tool token instead`);
  const depth = actorChain(task.act).length + 1;
  checkHandOff(ctx.config, agentById(ctx.clients, current), next, depth);

  const scopes = grantScopes(
    req.scope,
    intersect(splitScope(task.scope), next.taskScopes),
    `subject scope ∩ agents[${next.id}].taskScopes`,
  );
  const policy = checkPolicy(ctx.policy, {
    action: 'hand_off',
    principal: next,
    resource: { txn: task.txn },
    scopes,
    sub: task.sub,
    user: task.task?.user,
    act: [next.id, ...actorChain(task.act)],
    currentActor: current,
    purpose: task.task?.purpose,
  });
  const now = epochSeconds();
  const claims = {
    iss: ctx.config.issuer,
    sub: task.sub,
    aud: ctx.config.issuer,
    exp: task.exp,
    iat: now,
    nbf: now,
    jti: ctx.newId(),
    // The token is for the new actor, who presents it from now on (docs/tokens.md, "Who may do what").
    client_id: next.id,
    scope: joinScope(scopes),
    txn: task.txn,
    // RFC 8693 §4.1: the newest actor is the outermost.
    act: { sub: next.id, act: task.act },
    // Every ancestor, so a cascade reaches it whatever maxDepth is now (depth is capped by checkHandOff).
    lineage: { anc: [task.jti, ...task.lineage.anc] },
    ...(jkt !== undefined ? { cnf: { jkt } } : {}),
    ...(task.task ? { task: task.task } : {}),
  };
  return recordAndSign(ctx, claims, task.lineage.st, true, {
    type: 'token_issued',
    txn: task.txn,
    act: actorChain(claims.act),
    client: caller.id,
    sub: task.sub,
    decision: 'allow',
    rule: withCedar(`agents[${current}].handOffTo`, policy.rule),
    detail: {
      operation: 'hand_off',
      jti: claims.jti,
      parent: task.jti,
      from: current,
      to: next.id,
      depth,
      scope: claims.scope,
      ttl: claims.exp - now,
    },
  });
}
