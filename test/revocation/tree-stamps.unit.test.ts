import { buildTree, type TreeNode } from '../../src/revocation/tree.js';
import type { FeedEvent, TaskTree, TokenRecord } from '../../src/store/store.js';
import { marksWith } from '../support/marks.js';

const NOW = 1_000_000;
const token = (
  jti: string,
  anc: string[],
  actors: string[],
  stamp: number,
  exp = NOW + 60,
): TokenRecord => ({
  jti,
  txn: 't',
  anc,
  client: actors[0]!,
  actors,
  aud: 'aud',
  scope: 's',
  iat: NOW - 10,
  exp,
  stamp,
});
/** a0 starts the task (t0 at 100), hands it to a1 (t1 at 200), a1 takes a tool token (t2 at 300). */
const tree = (
  o: { status?: 'open' | 'completed'; revoked?: string[]; t2exp?: number } = {},
): TaskTree => ({
  task: {
    txn: 't',
    owner: 'a0',
    sub: 'alice',
    createdAt: NOW - 10,
    deadline: NOW + 600,
    status: o.status ?? 'open',
    stamp: 100,
  } as TaskTree['task'],
  tokens: [
    token('t0', [], ['a0'], 100),
    token('t1', ['t0'], ['a1', 'a0'], 200),
    token('t2', ['t1', 't0'], ['a1', 'a0'], 300, o.t2exp),
  ],
  revoked: o.revoked ?? [],
});
const states = (nodes: TreeNode[], out: Record<string, string> = {}): Record<string, string> => {
  for (const n of nodes) {
    out[n.jti] = n.state;
    states(n.children, out);
  }
  return out;
};
const agent = (id: string, before: number): FeedEvent => ({
  type: 'agent',
  id,
  before,
  stamp: before,
});

describe('task tree: each token judged by the stamps at which its actors entered', () => {
  test.each([
    {
      rule: 'no marks, nothing revoked: all active',
      events: [],
      t: tree(),
      want: { t0: 'active', t1: 'active', t2: 'active' },
    },
    {
      rule: 'a tool token copies its parent’s stamps: a mark between its parent and itself still covers it',
      events: [agent('a1', 250)],
      t: tree(),
      want: { t0: 'active', t1: 'revoked', t2: 'revoked' },
    },
    {
      rule: 'a mark of the new actor before the hand-off spares everything',
      events: [agent('a1', 150)],
      t: tree(),
      want: { t0: 'active', t1: 'active', t2: 'active' },
    },
    {
      rule: 'a mark of the first actor covers the whole chain it is in',
      events: [agent('a0', 150)],
      t: tree(),
      want: { t0: 'revoked', t1: 'revoked', t2: 'revoked' },
    },
    {
      rule: 'a revoked token takes its descendants with it',
      events: [],
      t: tree({ revoked: ['t1'] }),
      want: { t0: 'active', t1: 'revoked', t2: 'revoked' },
    },
    {
      rule: 'an ended task ends every token',
      events: [],
      t: tree({ status: 'completed' }),
      want: { t0: 'task_ended', t1: 'task_ended', t2: 'task_ended' },
    },
    {
      rule: 'a token past its exp is expired, its parent stays active',
      events: [],
      t: tree({ t2exp: NOW }),
      want: { t0: 'active', t1: 'active', t2: 'expired' },
    },
  ])('$rule', async ({ events, t, want }) => {
    const m = await marksWith(events);
    try {
      const roots = buildTree(t, m.marks, NOW);
      expect(roots.map((r) => r.jti)).toEqual(['t0']);
      expect(states(roots)).toEqual(want);
    } finally {
      await m.stop();
    }
  });
});
