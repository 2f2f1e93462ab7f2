import type { MarkSubject } from '../../src/revocation/marks.js';
import type { FeedEvent } from '../../src/store/store.js';
import { marksWith } from '../support/marks.js';

// a1 took the task at stamp 200 from a0, who started it at stamp 100; a1 holds the token.
const TOKEN: MarkSubject = {
  sub: 'alice',
  client_id: 'a1',
  actors: ['a1', 'a0'],
  stamps: [200, 100],
};
const agent = (id: string, before: number): FeedEvent => ({
  type: 'agent',
  id,
  before,
  stamp: before,
});
const user = (sub: string, before: number): FeedEvent => ({
  type: 'user',
  sub,
  before,
  stamp: before,
});
const all = (before: number): FeedEvent => ({ type: 'all', before, stamp: before });

describe('marks verdict: a mark covers a token whose stamp it is not older than', () => {
  test.each([
    { rule: 'no marks: ok', events: [], want: 'ok' },
    { rule: 'kill switch at the task start stamp: revoked', events: [all(100)], want: 'revoked' },
    { rule: 'kill switch before the task started: ok', events: [all(99)], want: 'ok' },
    {
      rule: 'the user marked at the task start: revoked',
      events: [user('alice', 100)],
      want: 'revoked',
    },
    {
      rule: 'the user marked before the task started: ok',
      events: [user('alice', 99)],
      want: 'ok',
    },
    { rule: 'another user marked: ok', events: [user('bob', 1_000)], want: 'ok' },
    {
      rule: 'an earlier actor marked at its entry stamp: revoked',
      events: [agent('a0', 100)],
      want: 'revoked',
    },
    {
      rule: 'an earlier actor marked before it entered: ok',
      events: [agent('a0', 99)],
      want: 'ok',
    },
    {
      rule: 'the current actor marked after the task began but before it took over: ok',
      events: [agent('a1', 150)],
      want: 'ok',
    },
    {
      rule: 'the current actor marked at its entry stamp: revoked',
      events: [agent('a1', 200)],
      want: 'revoked',
    },
    { rule: 'an agent outside the chain marked: ok', events: [agent('a9', 1_000)], want: 'ok' },
    {
      rule: 'a later mark of the same agent wins over an earlier one',
      events: [agent('a0', 99), agent('a0', 100)],
      want: 'revoked',
    },
  ])('$rule', async ({ events, want }) => {
    const m = await marksWith(events);
    try {
      expect(m.marks.verdict(TOKEN)).toBe(want);
    } finally {
      await m.stop();
    }
  });

  test('the holding client (RFC 7009) marked since the current actor entered: revoked', async () => {
    const m = await marksWith([agent('rs-holder', 200)]);
    try {
      expect(m.marks.verdict({ ...TOKEN, client_id: 'rs-holder' })).toBe('revoked');
      expect(m.marks.verdict(TOKEN)).toBe('ok');
    } finally {
      await m.stop();
    }
  });

  test('marks not confirmed within maxStalenessMs: stale, whatever they hold (fail closed)', async () => {
    const m = await marksWith([], 1_000);
    try {
      expect(m.marks.verdict(TOKEN)).toBe('ok');
      expect(m.marks.verdict(TOKEN, Date.now() + 5_000)).toBe('stale');
    } finally {
      await m.stop();
    }
  });
});
