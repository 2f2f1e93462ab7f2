import { createHash, randomBytes } from 'node:crypto';
import { epochSeconds } from '../clock.js';
import type { SessionRecord, SessionStore } from '../store/store.js';
import type { AdminRole } from './roles.js';

export interface SessionLimits {
  idleSeconds: number;
  absoluteSeconds: number;
}

/** The store keys a session by a hash of the cookie's secret: a store dump logs nobody in. */
export const sessionId = (secret: string): string =>
  createHash('sha256').update(secret, 'utf8').digest('base64url');

/**
 * A new session for a login: a fresh secret each time (rotation at login, so a session id
 * planted before the login is worth nothing), and its CSRF token. The secret goes in the
 * cookie; only its hash is stored.
 */
export async function openSession(
  store: Pick<SessionStore, 'putSession' | 'deleteSession'>,
  who: { admin: string; role: AdminRole; via: SessionRecord['via'] },
  limits: SessionLimits,
  previousSecret?: string,
): Promise<{ secret: string; record: SessionRecord }> {
  if (previousSecret) await store.deleteSession(sessionId(previousSecret));
  const secret = randomBytes(32).toString('base64url');
  const now = epochSeconds();
  const record: SessionRecord = {
    id: sessionId(secret),
    ...who,
    csrf: randomBytes(24).toString('base64url'),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + limits.absoluteSeconds,
  };
  await store.putSession(record, limits.idleSeconds);
  return { secret, record };
}

/** The live session a cookie's secret names, its use noted; undefined when it has ended. */
export function useSession(
  store: Pick<SessionStore, 'touchSession'>,
  secret: string,
  limits: SessionLimits,
): Promise<SessionRecord | undefined> {
  return store.touchSession(sessionId(secret), epochSeconds(), limits.idleSeconds);
}

/** Logout, or an admin ending someone's session: gone on every instance at once. */
export function endSession(
  store: Pick<SessionStore, 'deleteSession'>,
  secret: string,
): Promise<boolean> {
  return store.deleteSession(sessionId(secret));
}
