import type { Client } from '../auth/clients.js';
import { UnauthorizedClient } from '../errors.js';
import type { BatonContext } from '../exchange/context.js';
import { actorChain, type Actor } from './claims.js';
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

/** Inactive, with an audit event saying why (the caller is told nothing more). */
function refuse(ctx: BatonContext, rs: string, reason: string, seen?: { txn: string; act: string[]; sub: string; jti: string }): IntrospectionResponse {
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
export async function introspect(ctx: BatonContext, client: Client, token: string): Promise<IntrospectionResponse> {
  if (client.kind !== 'resource_server') throw new UnauthorizedClient(`client ${client.id} is not a resource server; only resource servers introspect`);
  let claims;
  try {
    claims = await verifyOwnToken(ctx.own, token, 'token');
  } catch (e) {
    return refuse(ctx, client.id, (e as Error).message);
  }
  const act = actorChain(claims.act);
  const seen = { txn: claims.txn, act, sub: claims.sub, jti: claims.jti };
  // A task token (aud = Baton) is active to no resource server.
  if (claims.aud !== client.tool.resource) return refuse(ctx, client.id, 'audience is not this resource server', seen);
  const marks = ctx.marks.verdict({ sub: claims.sub, client_id: claims.client_id, actors: act, stamps: claims.lineage.st });
  if (marks !== 'ok') return refuse(ctx, client.id, marks === 'stale' ? 'revocation state not current (fail closed)' : 'revoked (agent, user or all)', seen);
  try {
    const state = await ctx.store.checkToken(claims.txn, claims.jti, claims.lineage.anc);
    if (state !== 'active') return refuse(ctx, client.id, state, seen);
  } catch {
    return refuse(ctx, client.id, 'store unavailable (fail closed)', seen);
  }
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
    ...(claims.authorization_details ? { authorization_details: claims.authorization_details } : {}),
  };
}
