/**
 * Admin roles (docs/admin-api.md, "Roles"): each includes the one below it. Reads need
 * `viewer`, deciding approvals `approver`, revocations and the kill switch `admin`.
 */
import type { AdminRole } from '../store/types.js';

export type { AdminRole } from '../store/types.js';

export const ADMIN_ROLES: readonly AdminRole[] = ['viewer', 'approver', 'admin'];

const rank = (r: AdminRole): number => ADMIN_ROLES.indexOf(r);

/** True when `held` includes `needed`. */
export const roleAllows = (held: AdminRole, needed: AdminRole): boolean =>
  rank(held) >= rank(needed);

export const isAdminRole = (v: unknown): v is AdminRole =>
  typeof v === 'string' && (ADMIN_ROLES as readonly string[]).includes(v);

/** The highest role named by an ID token claim (a string, or an array of strings); else none. */
export function roleFromClaim(value: unknown): AdminRole | undefined {
  const named = (Array.isArray(value) ? value : [value]).filter(isAdminRole);
  return named.sort((a, b) => rank(b) - rank(a))[0];
}

export type { AdminActor } from '../audit/admin-actor.js';
