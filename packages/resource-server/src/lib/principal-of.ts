import type { ToolCallDetail } from '@baton/protocol';
import type { BatonPrincipal } from '../principal.js';
import type { Introspection } from './introspection.js';
import type { CheckedClaims } from './token-check.js';

/** The principal of checked claims: the same object whichever mode checked the token. */
export function principalOf(c: CheckedClaims, token: string): BatonPrincipal {
  const toolCall = c.authorization_details?.find(
    (d): d is ToolCallDetail => (d as { type?: unknown })?.type === 'tool_call',
  );
  return {
    sub: c.sub,
    act: c.act,
    actors: c.actors,
    txn: c.txn,
    client_id: c.client_id,
    scope: c.scope.split(' ').filter(Boolean),
    ...(c.authorization_details ? { authorization_details: c.authorization_details } : {}),
    ...(toolCall ? { toolCall } : {}),
    ...(c.cnf ? { cnf: { jkt: c.cnf.jkt } } : {}),
    tokenType: c.cnf ? 'DPoP' : 'Bearer',
    jti: c.jti,
    aud: c.aud,
    iss: c.iss,
    exp: c.exp,
    iat: c.iat,
    token,
  };
}

/** An active introspection answer as the claims a local check reads (same principal). */
export function claimsOfIntrospection(r: Extract<Introspection, { active: true }>): CheckedClaims {
  const actors: string[] = [];
  for (let a: typeof r.act | undefined = r.act; a; a = a.act) actors.push(a.sub);
  return {
    ...r,
    lineage: { anc: [], st: [] },
    actors,
    ...(r.cnf ? { cnf: r.cnf } : {}),
  } as CheckedClaims;
}
