import type { AdminRole } from '../store/types.js';

/** Who is acting through the admin API: named in every audit event of the action. */
export interface AdminActor {
  name: string;
  role: AdminRole;
  /** A Bearer admin key (CLI, break-glass), or a console session. */
  via: 'key' | 'session';
}
