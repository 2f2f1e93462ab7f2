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

/** A feed id: a Redis stream id ("ms-seq") or the memory store's counter ("n"). */
export const FEED_ID = /^\d+(-\d+)?$/;

/**
 * Orders two feed ids (negative, zero, positive as `a` is before, equal to or after `b`): by
 * the millisecond part, then the sequence, numerically, as Redis orders stream ids.
 */
export function compareFeedIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

/** True when feed id `a` comes after `b`. */
export const feedIdAfter = (a: string, b: string): boolean => compareFeedIds(a, b) > 0;
