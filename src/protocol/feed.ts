/**
 * The revocation feed's wire types, shared by the server and the resource-server SDK.
 * This module has no dependencies: the SDK packages import it without the broker.
 */

/** One event of the revocation feed (docs/revocation.md, "The revocation feed"). */
export type FeedEvent =
  | { type: 'token'; txn: string; jti: string; stamp: number }
  | { type: 'task'; txn: string; stamp: number; reason: 'completed' | 'revoked' }
  | { type: 'agent'; id: string; before: number; stamp: number }
  | { type: 'user'; sub: string; before: number; stamp: number }
  | { type: 'all'; before: number; stamp: number };

export interface FeedEntry {
  /** Monotonic, opaque cursor (Redis stream id); resume after it with `readFeed`. */
  id: string;
  event: FeedEvent;
}
