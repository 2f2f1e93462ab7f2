import { AsyncLocalStorage } from 'node:async_hooks';
import type { AdminRole } from '../store/types.js';

/** Who is acting through the admin API: named in every audit event of the action. */
export interface AdminActor {
  name: string;
  role: AdminRole;
  /** A Bearer admin key (CLI, break-glass), or a console session. */
  via: 'key' | 'session';
}

/**
 * The admin acting in the current request, so every audit event the action emits names them
 * and their role (log.ts reads it), however deep in the domain the event is made.
 */
const current = new AsyncLocalStorage<AdminActor>();

export const runAsAdmin = <T>(actor: AdminActor, fn: () => T): T => current.run(actor, fn);

export const currentAdmin = (): AdminActor | undefined => current.getStore();
