import { compareFeedIds, type FeedGap, type FeedReset, feedIdAfter } from '../protocol/feed.js';
import type { FeedBounds } from '../store/store.js';

/** Where a follower's cursor sits in the feed, and what it is told before the catch-up. */
export type CursorPlace =
  | { kind: 'whole' }
  | { kind: 'gap'; gap: FeedGap }
  | { kind: 'reset'; reset: FeedReset };

const U64_MAX = '18446744073709551615';
const fitsU64 = (digits: string): boolean => compareFeedIds(digits, U64_MAX) <= 0;

/** "0" or "0-0": before every event, the cursor of a follower that has seen none. */
const isOrigin = (cursor: string): boolean => compareFeedIds(cursor, '0-0') === 0;

/**
 * Places a cursor (already matching FEED_ID) in the feed. A cursor is a position of this feed
 * when it is the origin, or lies in [first, newest]; at or before the trimmed horizon, the
 * events after it are partly gone (`gap`). Anything else — past the newest, between the horizon
 * and the first kept entry (where no id was ever given), a part beyond Redis's 64-bit range —
 * names no event of this feed, so its follower cannot know what it missed (`reset`), and it is
 * never handed to the store, which would refuse or misread it.
 */
export function placeCursor(cursor: string, bounds: FeedBounds): CursorPlace {
  const newest = bounds.newest ?? '0';
  const reset = (reason: FeedReset['reason']): CursorPlace => ({
    kind: 'reset',
    reset: { type: 'reset', reason, resume_after: newest },
  });
  const gap = (lost: string): CursorPlace => ({
    kind: 'gap',
    gap: { type: 'gap', lost_up_to: lost },
  });
  if (isOrigin(cursor)) return bounds.horizon ? gap(bounds.horizon) : { kind: 'whole' };
  if (!cursor.split('-').every(fitsU64) || feedIdAfter(cursor, newest))
    return reset('cursor_ahead');
  if (bounds.horizon && !feedIdAfter(cursor, bounds.horizon)) return gap(bounds.horizon);
  if (bounds.first && compareFeedIds(cursor, bounds.first) < 0) return reset('cursor_unknown');
  return { kind: 'whole' };
}
