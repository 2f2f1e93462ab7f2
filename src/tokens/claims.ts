/** RFC 8693 §4.1: the newest actor is the outermost `act`; inner levels are history. */
export interface Actor {
  sub: string;
  act?: Actor;
}

/**
 * Private claim for resource servers that check tokens locally: the ids of this token's
 * ancestors in the task (parent first) and, per `act` level (outermost first), the store stamp
 * at which that actor entered the chain. With these a feed event "agent X, before stamp S" or
 * "token J" can be applied without asking Baton.
 */
export interface Lineage {
  anc: string[];
  st: number[];
}

/** The claims of every Baton token (RFC 9068 + RFC 8693 + `txn`). */
export interface BatonClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  client_id: string;
  scope: string;
  txn: string;
  act: Actor;
  lineage: Lineage;
  cnf?: { jkt: string };
  authorization_details?: unknown[];
  /** Task tokens only (aud = Baton): what policy may read about the task on later exchanges. */
  task?: TaskContext;
}

/**
 * The task's context, carried by task tokens so that a policy decision on a later exchange needs
 * no store read: the stated purpose and the user claims policies may use. Tool tokens do not
 * carry it (tools see only what they need); it is kept in their store record instead.
 */
export interface TaskContext {
  purpose?: string;
  user: UserClaims;
}

export interface UserClaims {
  iss: string;
  tenant?: string;
  email?: string;
  groups?: string[];
  roles?: string[];
}

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
