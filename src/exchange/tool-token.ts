import { InvalidDpopProof, InvalidRequest } from '../errors.js';
import type { AgentConfig, ToolConfig } from '../config/schema.js';
import { actorChain, joinScope, splitScope, type BatonClaims } from '../tokens/claims.js';
import { toolGrant } from '../policy/ceilings.js';
import type { ExchangeDeps } from './deps.js';
import { parseAuthorizationDetails } from './authorization-details.js';
import { requireApproval } from '../approval/approval.js';
import { checkPolicy, withCedar } from '../policy/decide.js';
import { recordAndSign, type Issued } from './issue.js';
import type { ExchangeRequest } from './request.js';
import { epochSeconds } from '../clock.js';

/**
 * Tool token: the task token's current actor asks for one tool. aud = that tool only, act
 * copied, scope ⊆ task scope ∩ policy (agent, tool), exp = min(tool TTL, subject exp).
 * The subject's exp is already ≤ the task deadline.
 */
export async function issueToolToken(
  ctx: ExchangeDeps,
  caller: AgentConfig,
  task: BatonClaims,
  tool: ToolConfig,
  req: ExchangeRequest,
  jkt?: string,
): Promise<Issued> {
  if (task.act.sub !== caller.id)
    throw new InvalidRequest(`subject_token's current actor is ${task.act.sub}, not ${caller.id}`);
  if (req.actorToken !== undefined)
    throw new InvalidRequest(
      'actor_token is not accepted for a tool token; the current actor calls for itself',
    );
  // RFC 9728 dpop_bound_access_tokens_required: this tool gets no bearer tokens.
  if (tool.dpopRequired && jkt === undefined)
    throw new InvalidDpopProof(
      `${tool.resource} accepts DPoP-bound tokens only; send a DPoP proof`,
    );
  const details =
    req.authorizationDetails !== undefined
      ? parseAuthorizationDetails(req.authorizationDetails, tool)
      : undefined;
  const grant = toolGrant(
    ctx.config,
    caller,
    tool,
    tool.resource,
    splitScope(task.scope),
    req.scope,
  );
  const act = actorChain(task.act);
  const purpose = task.task?.purpose;
  const policy = checkPolicy(ctx.policy, {
    action: 'exchange',
    principal: caller,
    resource: { tool },
    scopes: grant.scopes,
    sub: task.sub,
    user: task.task?.user,
    act,
    currentActor: task.act.sub,
    purpose,
    details,
  });
  const needsApproval = grant.requireApproval || policy.approval;
  if (needsApproval) {
    const binding = {
      txn: task.txn,
      agent: caller.id,
      tool: tool.resource,
      scope: joinScope(grant.scopes),
      ...(details ? { authorization_details: details } : {}),
    };
    await requireApproval(
      ctx,
      binding,
      { sub: task.sub, act, ...(purpose ? { purpose } : {}) },
      req.approvalId,
    );
  } else if (req.approvalId !== undefined)
    throw new InvalidRequest('approval_id given, but this call needs no approval');
  const now = epochSeconds();
  const exp = Math.min(now + grant.maxTtlSeconds, task.exp);
  const claims = {
    iss: ctx.config.issuer,
    sub: task.sub,
    aud: tool.resource,
    exp,
    iat: now,
    nbf: now,
    jti: ctx.newId(),
    client_id: caller.id,
    scope: joinScope(grant.scopes),
    txn: task.txn,
    act: task.act,
    lineage: { anc: [task.jti, ...task.lineage.anc] },
    // RFC 9449 §6: the same key as the task token (a bound subject came with a proof by it).
    ...(jkt !== undefined ? { cnf: { jkt } } : {}),
    ...(details ? { authorization_details: details } : {}),
  };
  // The delegated action: which tool, with what scope, for how long.
  // Continuous authorization re-decides at introspection with the context of issue time.
  const recordCtx = ctx.policy?.current() ? { u: task.task?.user, p: purpose } : undefined;
  return recordAndSign(
    ctx,
    claims,
    task.lineage.st,
    false,
    {
      type: 'token_issued',
      txn: task.txn,
      act,
      client: caller.id,
      sub: task.sub,
      decision: 'allow',
      rule: withCedar(`agents[${caller.id}].tools[${tool.resource}]`, policy.rule),
      detail: {
        operation: 'tool_token',
        jti: claims.jti,
        parent: task.jti,
        tool: tool.resource,
        scope: claims.scope,
        ttl: exp - now,
        ...(details ? { authorization_details: details } : {}),
        ...(needsApproval ? { approved: req.approvalId } : {}),
      },
    },
    recordCtx,
  );
}
