import { InvalidRequest } from '../errors.js';
import type { AgentConfig } from '../config/schema.js';
import { joinScope, nestActors, pickUserClaims } from '../tokens/claims.js';
import type { UpstreamIdentity } from '../tokens/verify-upstream.js';
import { checkHandOff, taskStartScopes } from '../policy/ceilings.js';
import { checkPolicy, withCedar } from '../policy/decide.js';
import type { ExchangeDeps } from './deps.js';
import { startAndSign, type Issued } from './issue.js';
import type { ExchangeRequest } from './request.js';
import { epochSeconds } from '../clock.js';

/** RFC 8693 §4.4: `may_act` in a user token names who may act for it (at start and at renewal). */
export function assertMayAct(
  user: UpstreamIdentity,
  agentId: string,
  issuer: string,
  what: string,
): void {
  if (
    user.mayAct &&
    (user.mayAct.sub !== agentId ||
      (user.mayAct.iss !== undefined && user.mayAct.iss !== issuer && user.mayAct.iss !== user.iss))
  )
    throw new InvalidRequest(`${what}'s may_act does not name ${agentId}`);
}

/**
 * Start a task: a user token from a trusted issuer becomes a task token (aud = Baton, new txn,
 * act = the agent, depth 1). Scope ⊆ user scope ∩ agent's task scopes; exp ≤ user token exp and
 * ≤ task TTL, and that exp is the task's deadline.
 *
 * With an actor_token naming another agent, the caller starts the task for it: that is a
 * hand-off from the start (act = {actor, act: {caller}}, depth 2), bound by the caller's
 * hand-off rule like any other. The caller owns the task; the actor holds the token.
 */
export async function startTask(
  ctx: ExchangeDeps,
  caller: AgentConfig,
  user: UpstreamIdentity,
  req: ExchangeRequest,
  actor: AgentConfig,
  jkt?: string,
): Promise<Issued> {
  const chain = actor.id === caller.id ? [caller.id] : [actor.id, caller.id];
  // RFC 9449 §6: the token is bound to the prover's key, so the prover must be its holder.
  if (jkt !== undefined && chain.length > 1)
    throw new InvalidRequest(
      'a DPoP-bound task is started by the agent that holds it; start it, then offer it',
    );
  // A caller presenting an actor was checked for mayPresentActorTokens before it was verified
  // (exchange.ts).
  if (chain.length > 1) checkHandOff(ctx.config, caller, actor, chain.length);
  assertMayAct(user, actor.id, ctx.config.issuer, 'subject_token');
  const scopes = taskStartScopes(actor, user.scope, req.scope);
  const txn = ctx.newId();
  const userClaims = pickUserClaims(user.iss, user.claims);
  const policy = checkPolicy(ctx.policy, {
    action: 'start_task',
    principal: actor,
    resource: { txn },
    scopes,
    sub: user.sub,
    user: userClaims,
    act: chain,
    currentActor: caller.id,
    purpose: req.purpose,
  });
  const now = epochSeconds();
  const exp = Math.min(now + ctx.config.defaults.taskTtlSeconds, user.exp);
  if (exp <= now) throw new InvalidRequest('subject_token expires too soon to start a task');
  const claims = {
    iss: ctx.config.issuer,
    sub: user.sub,
    aud: ctx.config.issuer,
    exp,
    iat: now,
    nbf: now,
    jti: ctx.newId(),
    client_id: actor.id,
    scope: joinScope(scopes),
    txn,
    act: nestActors(chain),
    lineage: { anc: [] },
    ...(jkt !== undefined ? { cnf: { jkt } } : {}),
    task: { ...(req.purpose ? { purpose: req.purpose } : {}), user: userClaims },
  };
  const task = {
    txn,
    owner: caller.id,
    sub: user.sub,
    createdAt: now,
    deadline: exp,
    ...(req.purpose ? { purpose: req.purpose } : {}),
    ...(jkt !== undefined ? { jkt } : {}),
  };
  // The intent: who started what, for whom, and why.
  return startAndSign(ctx, task, claims, {
    type: 'task_started',
    txn,
    act: chain,
    client: caller.id,
    sub: user.sub,
    decision: 'allow',
    rule: withCedar(`agents[${actor.id}].taskScopes`, policy.rule),
    detail: {
      jti: claims.jti,
      scope: claims.scope,
      deadline: exp,
      ...(req.purpose ? { purpose: req.purpose } : {}),
    },
  });
}
