/** Where a follower's cursor sits in the feed (src/revocation/feed-cursor.ts), and id order. */
import { compareFeedIds, FEED_ID } from '../../src/protocol/feed.js';
import { placeCursor } from '../../src/revocation/feed-cursor.js';

const kept = { newest: '1700000000500-3', first: '1700000000100-0', horizon: '1700000000099-7' };

describe('feed cursor placement', () => {
  test.each([
    ['the origin, nothing trimmed', '0', { newest: '5-0', first: '1-0' }, { kind: 'whole' }],
    ['an id inside what is kept', '1700000000200-1', kept, { kind: 'whole' }],
    ['the newest id itself', '1700000000500-3', kept, { kind: 'whole' }],
    ['the first kept id', '1700000000100-0', kept, { kind: 'whole' }],
  ])('a cursor at %s is whole (no notice)', (_what, cursor, bounds, place) => {
    expect(placeCursor(cursor, bounds)).toEqual(place);
  });

  test.each([
    ['the origin, with a horizon', '0-0'],
    ['the horizon itself', '1700000000099-7'],
    ['before the horizon', '1700000000050-0'],
  ])('a cursor at %s gets a gap naming the horizon', (_what, cursor) => {
    expect(placeCursor(cursor, kept)).toEqual({
      kind: 'gap',
      gap: { type: 'gap', lost_up_to: kept.horizon },
    });
  });

  test.each([
    ['past the newest (Last-Event-ID: 99999999)', '99999999999999', kept, 'cursor_ahead'],
    ['a 20-digit id beyond 64 bits', '99999999999999999999', kept, 'cursor_ahead'],
    ['a sequence beyond 64 bits', '1700000000200-99999999999999999999', kept, 'cursor_ahead'],
    ['any id on a feed that never had one', '12-0', {}, 'cursor_ahead'],
    ['between the horizon and the first kept id', '1700000000099-8', kept, 'cursor_unknown'],
    [
      'before the first id of a restarted feed (no horizon)',
      '1600000000000-41',
      { newest: '1700000000000-2', first: '1700000000000-1' },
      'cursor_unknown',
    ],
  ])('a cursor %s is reset to the newest id', (_what, cursor, bounds, reason) => {
    expect(placeCursor(cursor, bounds)).toEqual({
      kind: 'reset',
      reset: { type: 'reset', reason, resume_after: (bounds as { newest?: string }).newest ?? '0' },
    });
  });
});

describe('feed id order', () => {
  test.each([
    ['18446744073709551615-0', '18446744073709551614-9', 1],
    ['9007199254740993-0', '9007199254740992-0', 1],
    ['5-10', '5-9', 1],
    ['5', '5-0', 0],
    ['0005-1', '5-1', 0],
    ['1700000000000-1', '1800000000000-0', -1],
  ])('compares %s and %s exactly, beyond float precision', (a, b, sign) => {
    expect(Math.sign(compareFeedIds(a, b))).toBe(sign);
  });

  test('a feed id has at most 20 digits per part', () => {
    expect(FEED_ID.test('99999999999999999999-99999999999999999999')).toBe(true);
    expect(FEED_ID.test('999999999999999999999')).toBe(false);
  });
});
