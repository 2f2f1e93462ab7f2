/**
 * Revocation at scale on real Redis (docs/revocation.md, "Cost"): one call ends a
 * task of 10,000 live tokens, one call kills a subtree of 10,000 tokens, and every one of them is
 * then inactive. The tokens are seeded straight into the store, shaped as the exchange records
 * them; a handful of real, signed tokens minted over HTTP are introspected too.
 * Memory bound: on a redis-server of the test's own, a task's keys are gone after its deadline.
 */
import { REDIS_STORE_DEFAULTS } from '../../src/config/defaults.js';
import { randomUUID } from 'node:crypto';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { keys as redisKeys } from '../../src/store/redis/keys.js';
import type { TokenRecord, TokenState } from '../../src/store/store.js';
import {
  claimsOf,
  completeTaskAs,
  ISSUER,
  makeUpstream,
  revokeAs,
  startBaton,
  testConfig,
  TICKETS,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';
import {
  startRedisServer,
  testRedisUrl,
  uniquePrefix,
  type TestRedisServer,
} from '../support/redis.js';
import {
  adminRevoke,
  censusKeys,
  dropPrefix,
  eventually,
  handOffLevel,
  onRedis,
  rootLevel,
  toolActive,
  toolToken,
  type KeyCensus,
} from '../support/revocation-flows.js';

const N = 10_000;
// In flight at once while seeding and checking. The test's store gets a longer command budget
// than a request's (1 s): thousands of queued commands on a machine busy with other suites are
// not a store outage, and this test is about what revocation reaches, not how fast.
const CHUNK = 250;
const SEED_COMMAND_TIMEOUT_MS = 10_000;

/** A record as the exchange writes it (issue.ts recordOf): a tool token or a hand-off below `parent`. */
function seededRecord(
  txn: string,
  parent: { jti: string; anc: string[]; actors: string[] },
  kind: 'tool' | 'hand_off',
  exp: number,
): TokenRecord {
  const now = Math.floor(Date.now() / 1000);
  const actors =
    kind === 'hand_off'
      ? [parent.actors[0] === 'support-agent' ? 'billing-agent' : 'support-agent', ...parent.actors]
      : parent.actors;
  return {
    jti: randomUUID(),
    txn,
    anc: [parent.jti, ...parent.anc].slice(0, 4),
    client: actors[0]!,
    actors,
    aud: kind === 'tool' ? TICKETS : ISSUER,
    scope: 'tickets:read',
    exp,
    iat: now,
  };
}

async function inChunks<T, R>(items: T[], op: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CHUNK)
    out.push(...(await Promise.all(items.slice(i, i + CHUNK).map(op))));
  return out;
}

/** Every state the store gives, with how many records had it. */
async function statesOf(
  store: RedisStore,
  records: TokenRecord[],
): Promise<Record<string, number>> {
  const states = await inChunks(
    records,
    (r): Promise<TokenState> => store.checkToken(r.txn, r.jti, r.anc),
  );
  const counts: Record<string, number> = {};
  for (const s of states) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

describe('10,000 tokens on the shared Redis', () => {
  let upstream: Upstream;
  let store: RedisStore;
  let b: RunningBaton;
  const url = testRedisUrl();
  const prefix = uniquePrefix();

  beforeAll(async () => {
    upstream = await makeUpstream();
    store = await RedisStore.connect({
      ...REDIS_STORE_DEFAULTS,
      commandTimeoutMs: SEED_COMMAND_TIMEOUT_MS,
      url,
      prefix,
    });
    b = await startBaton(testConfig(upstream), { store });
  });
  afterAll(async () => {
    await b?.close();
    await store?.close();
    await dropPrefix(url, prefix);
  });

  it('one POST /admin/tasks/{txn}/revoke ends a task of 10,000 live tokens: every record checks task_ended and the real tokens introspect inactive', async () => {
    const root = await rootLevel(b.url, upstream, 'support-agent');
    const real = [
      root.tool,
      ...(await Promise.all([1, 2, 3, 4].map(() => toolToken(b.url, 'support-agent', root.task)))),
    ];
    const c = claimsOf(root.task);
    const parent = { jti: c.jti, anc: [], actors: ['support-agent'] };
    const seeded = Array.from({ length: N }, () => seededRecord(c.txn, parent, 'tool', c.exp));
    await inChunks(seeded, (r) => store.recordToken(r));
    expect(await statesOf(store, seeded)).toEqual({ active: N });
    for (const t of real) expect(await toolActive(b.url, t)).toBe(true);

    const r = await adminRevoke(b.url, `/admin/tasks/${c.txn}/revoke`);
    expect(r).toMatchObject({
      revoked: 'task',
      status: 'revoked',
      tokens_ended: N + real.length + 1,
      already_ended: false,
    });

    expect(await statesOf(store, seeded)).toEqual({ task_ended: N });
    for (const t of real) expect(await toolActive(b.url, t)).toBe(false);
  });

  it('one POST /revoke of a task token kills its 10,000 descendants (hand-offs and tool tokens below it) with one write; its parent and sibling stay active', async () => {
    const root = await rootLevel(b.url, upstream, 'support-agent');
    const mid = await handOffLevel(b.url, root, 'billing-agent'); // the task token to revoke
    const sibling = await handOffLevel(b.url, root, 'billing-agent');
    const realBelow = [mid.tool, await toolToken(b.url, 'billing-agent', mid.task)];
    const m = claimsOf(mid.task);
    const midRec = { jti: m.jti, anc: m.lineage.anc, actors: ['billing-agent', 'support-agent'] };
    // 100 hand-offs below it, each with 99 tool tokens: 10,000 descendants, up to depth 3 and 4 ancestors.
    const handOffs = Array.from({ length: 100 }, () =>
      seededRecord(m.txn, midRec, 'hand_off', m.exp),
    );
    const tools = handOffs.flatMap((h) =>
      Array.from({ length: 99 }, () =>
        seededRecord(m.txn, { jti: h.jti, anc: h.anc, actors: h.actors }, 'tool', m.exp),
      ),
    );
    const seeded = [...handOffs, ...tools];
    expect(seeded.length).toBe(N);
    await inChunks(handOffs, (r) => store.recordToken(r));
    await inChunks(tools, (r) => store.recordToken(r));
    expect(await statesOf(store, seeded)).toEqual({ active: N });

    expect(await revokeAs(b.url, 'billing-agent', mid.task)).toBe(200);

    expect(await statesOf(store, seeded)).toEqual({ revoked: N });
    for (const t of realBelow) expect(await toolActive(b.url, t)).toBe(false);
    expect(await toolActive(b.url, root.tool)).toBe(true);
    expect(await toolActive(b.url, sibling.tool)).toBe(true);
    // Revoking wrote one member into the task's revoked set, whatever the size of the subtree.
    const members = await onRedis(url, (r) => r.smembers(redisKeys(prefix).revoked(m.txn)));
    expect(members).toEqual([m.jti]);
  });
});

describe('memory bound (a redis-server of this test’s own)', () => {
  let server: TestRedisServer;
  let store: RedisStore;
  let b: RunningBaton;
  let upstream: Upstream;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    server = await startRedisServer();
    upstream = await makeUpstream();
    store = await RedisStore.connect({
      ...REDIS_STORE_DEFAULTS,
      commandTimeoutMs: SEED_COMMAND_TIMEOUT_MS,
      url: server.url,
      prefix,
    });
    b = await startBaton(testConfig(upstream), { store });
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    await store?.close();
    await server?.stop();
  });

  it('after their deadline, tasks leave no :task, :tok or :rev key behind (ended, revoked or left open), and every :ev audit stream has a TTL', async () => {
    const tasks = [];
    let lastDeadline = 0;
    for (let i = 0; i < 6; i++) {
      // The task's deadline is the user token's exp: 2–3 s from now.
      const root = await rootLevel(
        b.url,
        upstream,
        'support-agent',
        `user-${i}@example.com`,
        2 + (i % 2),
      );
      const next = await handOffLevel(b.url, root, 'billing-agent');
      tasks.push({ root, next });
      lastDeadline = Math.max(lastDeadline, claimsOf(root.task).exp);
    }
    // A mix of ends: a revoked token (creates :rev), a revoked subtree, an admin-revoked task, a completed task, the rest left open.
    expect(await revokeAs(b.url, 'support-agent', tasks[0]!.root.tool)).toBe(200);
    expect(await revokeAs(b.url, 'billing-agent', tasks[1]!.next.task)).toBe(200);
    await adminRevoke(b.url, `/admin/tasks/${claimsOf(tasks[2]!.root.task).txn}/revoke`);
    expect(
      (await completeTaskAs(b.url, 'support-agent', claimsOf(tasks[3]!.root.task).txn)).status,
    ).toBe(200);
    await b.baton.ctx.audit.flush();

    const before = await censusKeys(server.url, prefix);
    expect(before).toMatchObject({ task: 6, tok: 6, rev: 2 });
    expect(before.ev).toBe(6);

    // Wait until past the last deadline (+1 s), polling the key count in a bounded window.
    const waitMs = (lastDeadline + 1) * 1000 - Date.now() + 5000;
    let after: KeyCensus = before;
    const gone = await eventually(
      async () => {
        after = await censusKeys(server.url, prefix);
        return Date.now() >= (lastDeadline + 1) * 1000 && after.task + after.tok + after.rev === 0;
      },
      waitMs,
      250,
    );
    expect(gone).toBe(true);
    expect({ task: after.task, tok: after.tok, rev: after.rev }).toEqual({
      task: 0,
      tok: 0,
      rev: 0,
    });
    // Audit streams outlive the task by the audit retention, by design, but never for ever.
    expect(after.ev).toBe(6);
    expect(after.evWithoutTtl).toEqual([]);
  }, 30_000);
});
