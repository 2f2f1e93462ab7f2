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
  } catch {
    return INACTIVE;
  }
  // A task token (aud = Baton) is active to no resource server.
  if (claims.aud !== client.tool.resource) return INACTIVE;
  if (ctx.marks.verdict({ sub: claims.sub, client_id: claims.client_id, actors: actorChain(claims.act), stamps: claims.lineage.st }) !== 'ok') return INACTIVE;
  try {
    if ((await ctx.store.checkToken(claims.txn, claims.jti, claims.lineage.anc)) !== 'active') return INACTIVE;
  } catch {
    return INACTIVE;
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
