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
  | { type: 'all'; before: number; stamp: number }
  /**
   * The policy in force changed (a Cedar reload, or an instance started with other agents, tools
   * or ceilings): a token issued before `stamp` (µs) may no longer be allowed, so a resource
   * server checking locally re-checks such tokens once through /introspect. `version` names the
   * policy; a follower that already holds this version may ignore the event.
   */
  | { type: 'policy'; version: string; stamp: number };

export interface FeedEntry {
  /** Totally ordered, opaque cursor; resume after it with `Last-Event-ID` or `?after=`. */
  id: string;
  event: FeedEvent;
}

/**
 * Sent (without an `id`) when the cursor is older than what the feed keeps: events up to
 * `lost_up_to` are gone, so the follower re-checks what it holds; what follows is whole.
 */
export interface FeedGap {
  type: 'gap';
  lost_up_to: string;
}

/**
 * Why a cursor is no position of this feed: `cursor_ahead`, it names an event the feed never
 * had (past the newest); `cursor_unknown`, it names none the feed kept nor trimmed (a memory
 * store restarted, a Redis stream recreated, another deployment's feed).
 */
export type FeedResetReason = 'cursor_ahead' | 'cursor_unknown';

/**
 * Sent once, first, when the cursor is no position of this feed. Nothing the follower missed
 * can be replayed: it drops what it cached (or re-introspects it) and goes on from
 * `resume_after`, the newest id, after which this same stream continues.
 */
export interface FeedReset {
  type: 'reset';
  reason: FeedResetReason;
  /** The id the stream continues after ("0" for an empty feed); save it as the new cursor. */
  resume_after: string;
}

/**
 * A feed id: "<ms>-<seq>", each part at most 20 digits. Redis stream ids have this form; the
 * memory store's are "<epoch>-<n>", its start time in ms then a counter, so that ids of a
 * restarted store come after those of the one before and a saved cursor is never reused.
 */
export const FEED_ID = /^\d{1,20}(-\d{1,20})?$/;

/** Compares two digit strings as unbounded non-negative integers (no float rounding). */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Orders two feed ids (-1, 0, 1 as `a` is before, equal to or after `b`): by the first part,
 * then the sequence, as exact integers, as Redis orders stream ids (a missing sequence is 0).
 */
export function compareFeedIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  return compareDigits(am, bm) || compareDigits(as, bs);
}

/** True when feed id `a` comes after `b`. */
export const feedIdAfter = (a: string, b: string): boolean => compareFeedIds(a, b) > 0;
