export type { Actor, BatonClaims, Lineage, TaskContext, UserClaims } from '../protocol/claims.js';
import type { Actor, UserClaims } from '../protocol/claims.js';

/** The user claims Baton passes on to policy: a fixed, small set (docs/policy.md). */
export function pickUserClaims(iss: string, c: Record<string, unknown>): UserClaims {
  const strings = (v: unknown) =>
    Array.isArray(v) && v.every((x) => typeof x === 'string')
      ? (v as string[]).slice(0, 50)
      : undefined;
  const groups = strings(c.groups);
  const roles = strings(c.roles);
  return {
    iss,
    ...(typeof c.tenant === 'string' ? { tenant: c.tenant } : {}),
    ...(typeof c.email === 'string' ? { email: c.email } : {}),
    ...(groups ? { groups } : {}),
    ...(roles ? { roles } : {}),
  };
}

export const TOKEN_TYPE_ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
export const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TYP = 'at+jwt';

/** Actor chain as a list, outermost (current actor) first. */
export function actorChain(act: Actor | undefined): string[] {
  const out: string[] = [];
  for (let a = act; a; a = a.act) out.push(a.sub);
  return out;
}

/** Rebuilds a nested `act` from a list, outermost first. */
export function nestActors(chain: readonly string[]): Actor {
  let act: Actor | undefined;
  for (let i = chain.length - 1; i >= 0; i--)
    act = act ? { sub: chain[i]!, act } : { sub: chain[i]! };
  if (!act) throw new Error('empty actor chain');
  return act;
}

export const splitScope = (s: string | undefined): string[] =>
  s ? s.split(' ').filter(Boolean) : [];
export const joinScope = (s: Iterable<string>): string => [...s].join(' ');
