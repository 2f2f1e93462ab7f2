/**
 * Revocation on a 3-node Redis Cluster (docs/operations.md, "Redis Cluster"): two Batons booted
 * in-process, each with its own RedisStore.connect({ ...REDIS_STORE_DEFAULTS, cluster }) and one
 * key prefix, so every task's keys sit in
 * one slot ({txn} hash tag) while the marks and the feed ({global}) sit in another. The cascade,
 * task revocation, cross-task marks (agent, user, kill switch) and the feed flow through it.
 */
import { REDIS_STORE_DEFAULTS } from '../../src/config/defaults.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { FeedEntry } from '../../src/store/store.js';
import {
  basic,
  claimsOf,
  makeUpstream,
  revokeAs,
  SECRETS,
  startBaton,
  testConfig,
  testKeys,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';
import { startRedisCluster, uniquePrefix, type TestRedisCluster } from '../support/redis.js';
import {
  adminRequest,
  adminRevoke,
  buildChain,
  dropPrefixCluster,
  eventually,
  extendAsHolder,
  FeedReader,
  flattenTree,
  handOffLevel,
  rootLevel,
  toolActive,
  treeState,
  type Level,
  type TreeNodeJson,
} from '../support/revocation-flows.js';

let cluster: TestRedisCluster | undefined;
const stores: RedisStore[] = [];
const prefix = uniquePrefix();
let upstream: Upstream;
let A: RunningBaton;
let B: RunningBaton;

beforeAll(async () => {
  cluster = await startRedisCluster();
  upstream = await makeUpstream();
  const config = testConfig(upstream);
  const keys = await testKeys(config);
  for (let i = 0; i < 2; i++)
    stores.push(
      await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, cluster: cluster.nodes, prefix }),
    );
  A = await startBaton(config, { store: stores[0]!, keys });
  B = await startBaton(config, { store: stores[1]!, keys });
}, 120_000);

afterAll(async () => {
  await A?.close();
  await B?.close();
  for (const s of stores) await s.close();
  if (cluster) {
    await dropPrefixCluster(cluster.nodes, prefix).catch(() => undefined);
    await cluster.stop();
  }
}, 120_000);

/** Tool token inactive and task token in `deadState` at `on`, within the polling window (marks travel by pub/sub). */
async function expectDead(on: RunningBaton, l: Level, deadState = 'revoked'): Promise<void> {
  expect({
    depth: l.depth,
    tool: await eventually(async () => !(await toolActive(on.url, l.tool))),
  }).toEqual({ depth: l.depth, tool: true });
  expect({
    depth: l.depth,
    task: await eventually(async () => (await treeState(on.url, l.task)) === deadState),
  }).toEqual({ depth: l.depth, task: true });
  expect({ depth: l.depth, extend: (await extendAsHolder(on.url, l.task)).body.error }).toEqual({
    depth: l.depth,
    extend: 'invalid_request',
  });
}

async function expectAlive(on: RunningBaton, l: Level): Promise<void> {
  expect({ depth: l.depth, tool: await toolActive(on.url, l.tool) }).toEqual({
    depth: l.depth,
    tool: true,
  });
  expect({ depth: l.depth, task: await treeState(on.url, l.task) }).toEqual({
    depth: l.depth,
    task: 'active',
  });
}

describe('revocation on a 3-node Redis Cluster', () => {
  it.each([1, 2, 3, 4])(
    'revoking the task token at depth %i (on B) kills it and everything below it on both instances; levels above and a sibling branch stay active',
    async (d) => {
      const chain = await buildChain(A.url, upstream, 4);
      const sibling =
        d > 1
          ? await handOffLevel(A.url, chain[d - 2]!, chain[d - 1]!.agent)
          : await rootLevel(A.url, upstream);
      expect(await revokeAs(B.url, chain[d - 1]!.agent, chain[d - 1]!.task)).toBe(200);
      for (const on of [A, B]) {
        for (const l of chain) {
          if (l.depth >= d) await expectDead(on, l);
          else await expectAlive(on, l);
        }
        await expectAlive(on, sibling);
      }
    },
  );

  it('POST /admin/tasks/{txn}/revoke on A ends every token of the task for both instances; the tree shows task_ended', async () => {
    const chain = await buildChain(A.url, upstream, 3);
    const other = await rootLevel(B.url, upstream);
    const txn = claimsOf(chain[0]!.task).txn;
    expect(await adminRevoke(A.url, `/admin/tasks/${txn}/revoke`)).toMatchObject({
      status: 'revoked',
      tokens_ended: 6,
      already_ended: false,
    });
    for (const on of [A, B]) for (const l of chain) await expectDead(on, l, 'task_ended');
    await expectAlive(A, other);
    const tree = await adminRequest(B.url, 'GET', `/admin/tasks/${txn}`);
    expect(new Set(flattenTree(tree.body.tokens as TreeNodeJson[]).map((n) => n.state))).toEqual(
      new Set(['task_ended']),
    );
  });

  it('an agent revoked on A is revoked on B, its mark reaching B’s store by cluster pub/sub; other agents’ tasks live and the agent starts anew', async () => {
    const billing = await rootLevel(B.url, upstream, 'billing-agent');
    const inner = await handOffLevel(B.url, billing, 'support-agent');
    const bystander = await rootLevel(B.url, upstream, 'support-agent', 'bob@example.com');
    const heard: FeedEntry[] = [];
    const unsubscribe = await stores[1]!.subscribe((e) => heard.push(e));
    let before: unknown;
    try {
      before = (await adminRevoke(A.url, '/admin/agents/billing-agent/revoke')).before;
      expect(
        await eventually(async () =>
          heard.some((e) => e.event.type === 'agent' && e.event.id === 'billing-agent'),
        ),
      ).toBe(true);
    } finally {
      await unsubscribe();
    }
    expect(heard.find((e) => e.event.type === 'agent')!.event).toEqual({
      type: 'agent',
      id: 'billing-agent',
      before,
      stamp: before,
    });
    await expectDead(B, billing);
    await expectDead(B, inner);
    await expectAlive(B, bystander);
    await expectAlive(A, await rootLevel(B.url, upstream, 'billing-agent'));
  });

  it('a user revoked on B is revoked on A; other users live', async () => {
    const carol = await buildChain(A.url, upstream, 2, 'carol@example.com');
    const dave = await rootLevel(A.url, upstream, 'support-agent', 'dave@example.com');
    await adminRevoke(B.url, `/admin/users/${encodeURIComponent('carol@example.com')}/revoke`);
    for (const l of carol) await expectDead(A, l);
    await expectAlive(A, dave);
  });

  it('a kill switch on B kills every earlier token on A; a task started after it works on both', async () => {
    const before = [
      ...(await buildChain(A.url, upstream, 2)),
      await rootLevel(A.url, upstream, 'billing-agent', 'erin@example.com'),
    ];
    await adminRevoke(B.url, '/admin/revoke-all');
    for (const l of before) await expectDead(A, l);
    const after = await buildChain(A.url, upstream, 2);
    for (const on of [A, B]) for (const l of after) await expectAlive(on, l);
  });

  it('the feed on A delivers a revocation made on B, and a follower reconnecting with Last-Event-ID catches up in order', async () => {
    const probe = await rootLevel(B.url, upstream);
    const x = await rootLevel(B.url, upstream);
    const y = await rootLevel(B.url, upstream);
    const headers = { authorization: basic('tickets-rs', SECRETS['tickets-rs']) };
    const jtiOf = (e: { data: string } | undefined) =>
      e ? (JSON.parse(e.data) as { jti?: string }).jti : undefined;
    const feed = await FeedReader.open(`${A.url}/revocations`, headers);
    let again: FeedReader | undefined;
    try {
      expect(feed.status).toBe(200);
      await feed.opened;
      // Live once a probe revocation arrives (bounded; see revocation.test.ts on the subscription gap).
      let live = false;
      for (let i = 0; i < 20 && !live; i++) {
        await revokeAs(B.url, 'support-agent', probe.tool);
        live = (await feed.collectUntil((e) => jtiOf(e) === claimsOf(probe.tool).jti, 250)).some(
          (e) => jtiOf(e) === claimsOf(probe.tool).jti,
        );
      }
      expect(live).toBe(true);
      expect(await revokeAs(B.url, 'support-agent', x.tool)).toBe(200);
      const seen = (await feed.collectUntil((e) => jtiOf(e) === claimsOf(x.tool).jti)).pop();
      expect(jtiOf(seen)).toBe(claimsOf(x.tool).jti);
      feed.close();
      expect(await revokeAs(B.url, 'support-agent', y.tool)).toBe(200);
      expect(await revokeAs(B.url, 'support-agent', y.task)).toBe(200);
      again = await FeedReader.open(`${A.url}/revocations`, {
        ...headers,
        'last-event-id': seen!.id!,
      });
      expect([jtiOf(await again.next()), jtiOf(await again.next())]).toEqual([
        claimsOf(y.tool).jti,
        claimsOf(y.task).jti,
      ]);
    } finally {
      feed.close();
      again?.close();
    }
  });
});
