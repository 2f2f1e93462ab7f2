import { DEFAULTS } from '../../config/defaults.js';
/** The request and decision shapes of the Cedar layer (mirrors `RequestContext` in baton.cedarschema). */
export type PolicyAction = 'start_task' | 'exchange' | 'hand_off';

/** Attributes of the agent (principal), from its config `attributes`. */
export interface PolicyPrincipal {
  id: string;
  tenant?: string;
  labels?: string[];
}

export type PolicyResource =
  | { type: 'Tool'; id: string; name: string; tenant?: string; labels?: string[] }
  | { type: 'Task'; id: string };

/** The user token's claims that policies can read (`userClaims` picks them out of a JWT payload). */
export interface PolicyUser {
  sub: string;
  iss: string;
  tenant?: string;
  email?: string;
  groups?: string[];
  roles?: string[];
}

export interface PolicyTime {
  epoch: number;
  hour: number;
  /** 0 = Sunday. */
  weekday: number;
}

export interface PolicyAuthorizationDetail {
  type: string;
  action: string;
  /** Absent: Cedar sees "" (the schema makes it required so that records can be compared). */
  target?: string;
}

/** The Cedar `context`, as plain JS (arrays for sets). Mirrors `RequestContext` in baton.cedarschema. */
export interface PolicyContext {
  /** The scopes being granted. */
  scopes: string[];
  user: PolicyUser;
  /** Every actor in the chain of the token being issued. */
  act: string[];
  /** Who acts now, before this request. */
  current_actor: string;
  /** The act depth of the token being issued. */
  depth: number;
  purpose?: string;
  /** The tool's resource URI (exchange only). */
  tool?: string;
  /** UTC; the current time when absent. */
  time?: PolicyTime;
  authorization_details?: PolicyAuthorizationDetail[];
}

export interface PolicyRequest {
  principal: PolicyPrincipal;
  action: PolicyAction;
  resource: PolicyResource;
  context: PolicyContext;
}

export interface PolicyDecision {
  allow: boolean;
  /**
   * The deciding policy ids joined by ',': the forbids when a forbid denied, the permits when
   * allowed, the erroring policies when evaluation failed, `cedar:no-permit` when nothing permits.
   */
  rule: string;
  /** A deciding permit carries `@approval("required")`. */
  approval: boolean;
  /** Answered from this policy set's decision cache. */
  cached: boolean;
  /** Evaluation error messages (for the log; never sent to a client). */
  errors?: string[];
}

export const NO_PERMIT = 'cedar:no-permit';
export const CEDAR_ERROR = 'cedar:error';
export const DEFAULT_CACHE_SIZE = DEFAULTS.cedarDecisionCacheSize;

/** A policy set that cannot take effect; each problem names where (file:line:col, policy id) and what. */
export class PolicyLoadError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid Cedar policy set ${source}: ${problems.join('; ')}`);
    this.name = 'PolicyLoadError';
  }
}

/** The time fields of the context, UTC. */
export function timeContext(at: Date = new Date()): PolicyTime {
  return {
    epoch: Math.floor(at.getTime() / 1000),
    hour: at.getUTCHours(),
    weekday: at.getUTCDay(),
  };
}

/** Picks the claims the schema knows out of a verified token's payload (wrongly typed ones are dropped). */
export function userClaims(claims: Record<string, unknown>): PolicyUser {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const strs = (v: unknown) =>
    Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  const user: PolicyUser = { sub: str(claims.sub) ?? '', iss: str(claims.iss) ?? '' };
  const tenant = str(claims.tenant);
  const email = str(claims.email);
  const groups = strs(claims.groups);
  const roles = strs(claims.roles);
  if (tenant !== undefined) user.tenant = tenant;
  if (email !== undefined) user.email = email;
  if (groups) user.groups = groups;
  if (roles) user.roles = roles;
  return user;
}
