import type { Client } from '../auth/clients.js';
import { UnauthorizedClient } from '../errors.js';
import type { BatonContext } from '../exchange/context.js';
import { actorChain, splitScope, type Actor, type BatonClaims, type UserClaims } from './claims.js';
import type { ToolConfig } from '../config/schema.js';
import type { BatonError } from '../errors.js';
import { agentById } from '../exchange/subject.js';
import { checkPolicy } from '../policy/decide.js';
import { verifyOwnToken } from './verify-own.js';

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      aud: string;
      iss: string;
      exp: number;
      iat: number;
      nbf: number;
      jti: string;
      token_type: 'Bearer';
      txn: string;
      act: Actor;
      authorization_details?: unknown[];
    };

const INACTIVE = { active: false } as const;

/**
 * Re-decides a live tool token against the policy in force: the config ceilings (the agent is
 * enabled and may still use this tool with these scopes) and the Cedar policy with the context
 * recorded at issue time (the time is now). Approval is about issuing and is not asked again.
 * Returns true, or the rule that no longer allows it.
 */
function reauthorize(
  ctx: BatonContext,
  tool: ToolConfig,
  claims: BatonClaims,
  act: string[],
  recorded: Record<string, unknown> | undefined,
): true | string {
  const agent = agentById(ctx, claims.act.sub);
  if (!agent) return `agents[${claims.act.sub}] (removed or disabled)`;
  const rule = agent.tools[tool.resource];
  if (!rule) return `agents[${agent.id}].tools`;
  const scopes = splitScope(claims.scope);
  if (!scopes.every((s) => rule.scopes.includes(s) && tool.scopes.includes(s)))
    return `agents[${agent.id}].tools[${tool.resource}].scopes`;
  try {
    checkPolicy(ctx.policy, {
      action: 'exchange',
      principal: agent,
      resource: { tool },
      scopes,
      sub: claims.sub,
      user: recorded?.u as UserClaims | undefined,
      act,
      currentActor: claims.act.sub,
      purpose: recorded?.p as string | undefined,
      details: claims.authorization_details as
        | { type: string; action: string; tool: string }[]
        | undefined,
    });
  } catch (e) {
    return (e as BatonError).rule ?? 'cedar';
  }
  return true;
}

/** Inactive, with an audit event saying why (the caller is told nothing more). */
function refuse(
  ctx: BatonContext,
  rs: string,
  reason: string,
  seen?: { txn: string; act: string[]; sub: string; jti: string },
): IntrospectionResponse {
  ctx.audit.emit({
    type: 'introspection_refused',
    client: rs,
    decision: 'deny',
    reason,
    ...(seen ? { txn: seen.txn, act: seen.act, sub: seen.sub, detail: { jti: seen.jti } } : {}),
  });
  return INACTIVE;
}

/**
 * RFC 7662 for a tool's resource server. Active only if the signature and times hold, the
 * token is for this resource server, it is recorded, neither it nor an ancestor is revoked,
 * no cross-task mark covers it, and its task is open. Otherwise exactly `{"active": false}`;
 * when Baton cannot tell (store down, marks stale) the answer is inactive too (invariant 7).
 */
export async function introspect(
  ctx: BatonContext,
  client: Client,
  token: string,
): Promise<IntrospectionResponse> {
  if (client.kind !== 'resource_server')
    throw new UnauthorizedClient(
      `client ${client.id} is not a resource server; only resource servers introspect`,
    );
  let claims: BatonClaims;
  try {
    claims = await verifyOwnToken(ctx.own, token, 'token');
  } catch (e) {
    return refuse(ctx, client.id, (e as Error).message);
  }
  const act = actorChain(claims.act);
  const seen = { txn: claims.txn, act, sub: claims.sub, jti: claims.jti };
  // A task token (aud = Baton) is active to no resource server.
  if (claims.aud !== client.tool.resource)
    return refuse(ctx, client.id, 'audience is not this resource server', seen);
  const marks = ctx.marks.verdict({
    sub: claims.sub,
    client_id: claims.client_id,
    actors: act,
    stamps: claims.lineage.st,
  });
  if (marks !== 'ok')
    return refuse(
      ctx,
      client.id,
      marks === 'stale'
        ? 'revocation state not current (fail closed)'
        : 'revoked (agent, user or all)',
      seen,
    );
  let recorded: { state: string; ctx?: Record<string, unknown> };
  try {
    // The record's context is only needed when a Cedar policy will re-decide the token.
    recorded = ctx.policy?.current()
      ? await ctx.store.inspectToken(claims.txn, claims.jti, claims.lineage.anc)
      : { state: await ctx.store.checkToken(claims.txn, claims.jti, claims.lineage.anc) };
  } catch {
    return refuse(ctx, client.id, 'store unavailable (fail closed)', seen);
  }
  if (recorded.state !== 'active') return refuse(ctx, client.id, recorded.state, seen);
  // Continuous authorization: the policy in force now must still allow this token.
  const stillAllowed = reauthorize(ctx, client.tool, claims, act, recorded.ctx);
  if (stillAllowed !== true)
    return refuse(ctx, client.id, `no longer allowed by policy: ${stillAllowed}`, seen);
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    nbf: claims.nbf,
    jti: claims.jti,
    token_type: 'Bearer',
    txn: claims.txn,
    act: claims.act,
    ...(claims.authorization_details
      ? { authorization_details: claims.authorization_details }
      : {}),
  };
}
