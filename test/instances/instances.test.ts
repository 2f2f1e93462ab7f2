/**
 * Two Baton processes on one Redis (docs/operations.md, "Several instances"): stateless instances that share
 * issuer, keys and store. A token minted by one is introspected and revoked by the other; a
 * revocation on one is seen by the other within the polling window; a kill switch racing a mint
 * on the other instance misses nothing (judged by store stamps, not clocks); and the revocation
 * feed (SSE) delivers events to resource servers and lets a reconnecting one catch up.
 */
import {
  ADMIN_KEY,
  basic,
  claimsOf,
  exchange,
  ISSUER,
  makeUpstream,
  revokeAs,
  SECRETS,
  TICKETS,
  type Upstream,
} from '../support/fixtures.js';
import {
  spawnBaton,
  stopAllBatons,
  writeDeployment,
  type BatonProcess,
  type Deployment,
} from '../support/processes.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import {
  adminRevoke,
  compareStreamIds,
  dropPrefix,
  eventually,
  extendAsHolder,
  FeedReader,
  handOffLevel,
  rootLevel,
  sleep,
  taskStamp,
  toolActive,
  toolToken,
  treeState,
  type Level,
  type SseEvent,
} from '../support/revocation-flows.js';

const redisUrl = testRedisUrl();
const prefix = uniquePrefix();
let upstream: Upstream;
let deployment: Deployment | undefined;
let A: BatonProcess;
let B: BatonProcess;

beforeAll(async () => {
  upstream = await makeUpstream();
  deployment = await writeDeployment(upstream, { url: redisUrl, prefix });
  [A, B] = await Promise.all([
    spawnBaton(deployment.configPath),
    spawnBaton(deployment.configPath),
  ]);
}, 90_000);

afterAll(async () => {
  await stopAllBatons();
  await deployment?.remove();
  await dropPrefix(redisUrl, prefix);
}, 30_000);

/** Polls until the tool token is inactive at `on` (≤ 2 s). */
const becomesInactive = (on: BatonProcess, tool: string) =>
  eventually(async () => !(await toolActive(on.url, tool)));
/** Polls until the task token shows `state` in `on`'s admin tree (≤ 2 s). */
const showsState = (on: BatonProcess, task: string, state: string) =>
  eventually(async () => (await treeState(on.url, task)) === state);
/** Polls until extending the task token at `on` is refused with invalid_request (≤ 2 s). */
const refusesExtension = (on: BatonProcess, task: string) =>
  eventually(async () => (await extendAsHolder(on.url, task)).body.error === 'invalid_request');

async function expectDeadOn(on: BatonProcess, l: Level, deadState = 'revoked'): Promise<void> {
  expect({ at: on.url, tool: await becomesInactive(on, l.tool) }).toEqual({
    at: on.url,
    tool: true,
  });
  expect({ at: on.url, task: await showsState(on, l.task, deadState) }).toEqual({
    at: on.url,
    task: true,
  });
  expect({ at: on.url, extend: await refusesExtension(on, l.task) }).toEqual({
    at: on.url,
    extend: true,
  });
}

async function expectAliveOn(on: BatonProcess, l: Level): Promise<void> {
  expect({ at: on.url, tool: await toolActive(on.url, l.tool) }).toEqual({
    at: on.url,
    tool: true,
  });
  expect({ at: on.url, task: await treeState(on.url, l.task) }).toEqual({
    at: on.url,
    task: 'active',
  });
}

describe('two Baton processes on one Redis', () => {
  it('are separate processes sharing issuer and keys: each verifies the other’s tokens', async () => {
    expect(A.pid).not.toBe(B.pid);
    const jwksA = await (await fetch(`${A.url}/jwks`)).json();
    const jwksB = await (await fetch(`${B.url}/jwks`)).json();
    expect(jwksA).toEqual(jwksB);
    const onA = await rootLevel(A.url, upstream);
    const onB = await handOffLevel(B.url, onA, 'billing-agent'); // B takes a task token minted by A
    await expectAliveOn(B, onA);
    await expectAliveOn(A, onB);
  });

  it('a token minted by A, introspected active by B and revoked by its holder on B, is inactive on A', async () => {
    const l = await rootLevel(A.url, upstream);
    const other = await toolToken(A.url, 'support-agent', l.task);
    expect(await toolActive(B.url, l.tool)).toBe(true);
    expect(await revokeAs(B.url, 'support-agent', l.tool)).toBe(200);
    expect(await becomesInactive(A, l.tool)).toBe(true);
    expect(await toolActive(A.url, other)).toBe(true);
  });

  it('a task token minted by A and revoked on B takes its hand-offs and tool tokens minted on A with it, on both', async () => {
    const l1 = await rootLevel(A.url, upstream);
    const l2 = await handOffLevel(A.url, l1, 'billing-agent');
    const l3 = await handOffLevel(A.url, l2, 'support-agent');
    expect(await revokeAs(B.url, 'billing-agent', l2.task)).toBe(200);
    for (const on of [A, B]) {
      await expectDeadOn(on, l2);
      await expectDeadOn(on, l3);
      await expectAliveOn(on, l1);
    }
  });

  it('a task revoked by an admin on B is ended on A', async () => {
    const chain = [await rootLevel(A.url, upstream)];
    chain.push(await handOffLevel(A.url, chain[0]!, 'billing-agent'));
    await adminRevoke(B.url, `/admin/tasks/${claimsOf(chain[0]!.task).txn}/revoke`);
    for (const l of chain) await expectDeadOn(A, l, 'task_ended');
  });

  it('an agent revoked by an admin on A is revoked on B; the agent still gets new tokens on B', async () => {
    const onB = await rootLevel(B.url, upstream, 'billing-agent');
    const inner = await handOffLevel(B.url, onB, 'support-agent'); // billing is an inner actor here
    const bystander = await rootLevel(B.url, upstream, 'support-agent');
    await adminRevoke(A.url, '/admin/agents/billing-agent/revoke');
    await expectDeadOn(B, onB);
    await expectDeadOn(B, inner);
    await expectAliveOn(B, bystander);
    await expectAliveOn(B, await rootLevel(B.url, upstream, 'billing-agent'));
  });

  it('a user revoked by an admin on B is revoked on A; other users stay active', async () => {
    const carol = await rootLevel(A.url, upstream, 'support-agent', 'carol@example.com');
    const dave = await rootLevel(A.url, upstream, 'support-agent', 'dave@example.com');
    await adminRevoke(B.url, `/admin/users/${encodeURIComponent('carol@example.com')}/revoke`);
    await expectDeadOn(A, carol);
    await expectAliveOn(A, dave);
  });

  it('a kill switch on B kills on A every token issued before it; a task started on A after it works', async () => {
    const before = [
      await rootLevel(A.url, upstream),
      await rootLevel(A.url, upstream, 'billing-agent', 'erin@example.com'),
    ];
    before.push(await handOffLevel(A.url, before[0]!, 'billing-agent'));
    await adminRevoke(B.url, '/admin/revoke-all');
    for (const l of before) await expectDeadOn(A, l);
    const after = await rootLevel(A.url, upstream);
    await expectAliveOn(A, after);
    await expectAliveOn(B, after);
  });

  it('a kill switch on B racing mints on A (~20 rounds): every token of a task started before the mark is inactive on both, including tokens minted from such a task after the mark; tasks started after it live', async () => {
    const tally = { startedBefore: 0, startedAfter: 0, derivedRefused: 0, derivedIssuedDead: 0 };
    for (let round = 0; round < 20; round++) {
      const pre = await rootLevel(A.url, upstream); // surely before this round's mark
      const userToken = await upstream.userToken();
      // The mark is sent 0–7 ms after the mints so that, over the rounds, it lands before, among and after their store writes.
      const [kill, fresh, derived] = await Promise.all([
        sleep(round % 8).then(() => adminRevoke(B.url, '/admin/revoke-all')),
        exchange(A.url, 'support-agent', { subject_token: userToken, audience: ISSUER }),
        exchange(A.url, 'support-agent', {
          subject_token: pre.task,
          resource: TICKETS,
          scope: 'tickets:read',
        }),
      ]);
      const mark = kill.before as number;
      expect(taskStamp(pre.task)).toBeLessThanOrEqual(mark);
      // Both instances know the mark once the older task shows dead on each.
      for (const on of [A, B]) await expectDeadOn(on, pre);

      // A token minted from the pre-mark task, at the same moment as the mark: refused, or issued dead.
      if (derived.status === 200) {
        const t = derived.body.access_token as string;
        expect(taskStamp(t)).toBe(taskStamp(pre.task)); // it inherits its task's start stamp
        for (const on of [A, B])
          expect({ round, at: on.url, inactive: await becomesInactive(on, t) }).toEqual({
            round,
            at: on.url,
            inactive: true,
          });
        tally.derivedIssuedDead++;
      } else {
        expect({ round, status: derived.status, error: derived.body.error }).toEqual({
          round,
          status: 400,
          error: 'invalid_request',
        });
        tally.derivedRefused++;
      }

      // A task started on A at the same moment: dead on both if the store stamped it at or before the mark, alive otherwise.
      expect(fresh.status).toBe(200);
      const task = fresh.body.access_token as string;
      if (taskStamp(task) <= mark) {
        tally.startedBefore++;
        for (const on of [A, B]) {
          expect({ round, at: on.url, state: await showsState(on, task, 'revoked') }).toEqual({
            round,
            at: on.url,
            state: true,
          });
          expect({ round, at: on.url, refused: await refusesExtension(on, task) }).toEqual({
            round,
            at: on.url,
            refused: true,
          });
        }
      } else {
        tally.startedAfter++;
        for (const on of [A, B])
          expect({ round, at: on.url, state: await treeState(on.url, task) }).toEqual({
            round,
            at: on.url,
            state: 'active',
          });
        const tool = await toolToken(B.url, 'support-agent', task);
        for (const on of [A, B])
          expect({ round, at: on.url, active: await toolActive(on.url, tool) }).toEqual({
            round,
            at: on.url,
            active: true,
          });
      }
    }
    expect(tally.startedBefore + tally.startedAfter).toBe(20);
    expect(tally.derivedRefused + tally.derivedIssuedDead).toBe(20);
  }, 120_000);
});

describe('revocation feed (GET /revocations, Server-Sent Events)', () => {
  const asTicketsRs = { authorization: basic('tickets-rs', SECRETS['tickets-rs']) };
  const data = (e: SseEvent | undefined) =>
    e ? (JSON.parse(e.data) as Record<string, unknown>) : undefined;
  const readers: FeedReader[] = [];
  const follow = async (
    on: BatonProcess,
    headers: Record<string, string> = asTicketsRs,
    query = '',
  ) => {
    const r = await FeedReader.open(`${on.url}/revocations${query}`, headers);
    readers.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of readers.splice(0)) r.close();
  });

  /** Next event matching `match`, skipping others (e.g. from earlier tests) within the bound. */
  async function nextMatching(
    r: FeedReader,
    match: (d: Record<string, unknown>) => boolean,
    timeoutMs = 3000,
  ): Promise<SseEvent | undefined> {
    const got = await r.collectUntil((e) => match(data(e)!), timeoutMs);
    const last = got[got.length - 1];
    return last && match(data(last)!) ? last : undefined;
  }

  /**
   * A follower without a cursor is live once one event has reached it: revoke a throwaway token
   * on B until its event arrives (bounded). See revocation.test.ts for the gap this works around.
   */
  async function untilLive(feed: FeedReader): Promise<void> {
    await feed.opened;
    const probe = await rootLevel(B.url, upstream);
    for (let i = 0; i < 20; i++) {
      expect(await revokeAs(B.url, 'support-agent', probe.tool)).toBe(200);
      if (await nextMatching(feed, (d) => d.jti === claimsOf(probe.tool).jti, 250)) return;
    }
    throw new Error('the feed delivered none of 20 probe revocations');
  }

  it('a resource server following A receives a token revocation made on B, with an id, the event type and the jti', async () => {
    const l = await rootLevel(B.url, upstream);
    const feed = await follow(A);
    expect(feed.status).toBe(200);
    await untilLive(feed);
    expect(await revokeAs(B.url, 'support-agent', l.tool)).toBe(200);
    const e = await nextMatching(feed, (d) => d.jti === claimsOf(l.tool).jti);
    expect(e).toBeDefined();
    expect(e!.event).toBe('token');
    expect(e!.id).toMatch(/^\d+-\d+$/);
    expect(data(e)).toMatchObject({
      type: 'token',
      txn: claimsOf(l.tool).txn,
      jti: claimsOf(l.tool).jti,
    });
  });

  it('a follower reconnecting with Last-Event-ID gets the events it missed first and in order, then live ones', async () => {
    const x = await rootLevel(B.url, upstream);
    const y = await rootLevel(B.url, upstream);
    const z = await rootLevel(B.url, upstream);
    const w = await rootLevel(B.url, upstream);
    const first = await follow(A);
    await untilLive(first);
    expect(await revokeAs(B.url, 'support-agent', x.tool)).toBe(200);
    const seen = await nextMatching(first, (d) => d.jti === claimsOf(x.tool).jti);
    expect(seen?.id).toBeDefined();
    first.close();

    // Missed while disconnected: a token, then a whole task.
    expect(await revokeAs(B.url, 'support-agent', y.tool)).toBe(200);
    await adminRevoke(B.url, `/admin/tasks/${claimsOf(z.task).txn}/revoke`);

    const again = await follow(A, { ...asTicketsRs, 'last-event-id': seen!.id! });
    const missed = [await again.next(3000), await again.next(3000)];
    expect(missed.map((e) => data(e))).toEqual([
      expect.objectContaining({ type: 'token', jti: claimsOf(y.tool).jti }),
      expect.objectContaining({ type: 'task', txn: claimsOf(z.task).txn, reason: 'revoked' }),
    ]);
    expect(compareStreamIds(seen!.id!, missed[0]!.id!)).toBe(-1);
    expect(compareStreamIds(missed[0]!.id!, missed[1]!.id!)).toBe(-1);
    // Then the live stream (a follower with a cursor subscribes before it catches up), nothing repeated.
    expect(await revokeAs(B.url, 'support-agent', w.tool)).toBe(200);
    const live = await again.next(3000);
    expect(data(live)).toMatchObject({ type: 'token', jti: claimsOf(w.tool).jti });
    expect(compareStreamIds(missed[1]!.id!, live!.id!)).toBe(-1);
  });

  it('?after=<id> catches up the same way as Last-Event-ID', async () => {
    const x = await rootLevel(B.url, upstream);
    const y = await rootLevel(B.url, upstream);
    const z = await rootLevel(B.url, upstream);
    const first = await follow(A);
    await untilLive(first);
    expect(await revokeAs(B.url, 'support-agent', x.tool)).toBe(200);
    const seen = await nextMatching(first, (d) => d.jti === claimsOf(x.tool).jti);
    expect(seen?.id).toBeDefined();
    first.close();
    expect(await revokeAs(B.url, 'support-agent', y.tool)).toBe(200);
    expect(await revokeAs(B.url, 'support-agent', z.task)).toBe(200);
    const again = await follow(A, asTicketsRs, `?after=${encodeURIComponent(seen!.id!)}`);
    const missed = [await again.next(3000), await again.next(3000)];
    expect(missed.map((e) => data(e)?.jti)).toEqual([claimsOf(y.tool).jti, claimsOf(z.task).jti]);
  });

  it('cross-task marks appear on the feed: agent and user events name what died and the stamp before which', async () => {
    const feed = await follow(A);
    await untilLive(feed);
    const agent = await adminRevoke(B.url, '/admin/agents/isolated-agent/revoke');
    const user = await adminRevoke(
      B.url,
      `/admin/users/${encodeURIComponent('frank@example.com')}/revoke`,
    );
    const a = await nextMatching(feed, (d) => d.type === 'agent' && d.id === 'isolated-agent');
    const u = await nextMatching(feed, (d) => d.type === 'user' && d.sub === 'frank@example.com');
    expect(data(a)).toMatchObject({ type: 'agent', id: 'isolated-agent', before: agent.before });
    expect(data(u)).toMatchObject({ type: 'user', sub: 'frank@example.com', before: user.before });
  });

  it('a malformed cursor (Last-Event-ID / ?after=) is refused with 400, or else the stream still delivers: never a silent stream', async () => {
    const l = await rootLevel(B.url, upstream);
    for (const [headers, query] of [
      [{ ...asTicketsRs, 'last-event-id': 'not-an-id' }, ''],
      [asTicketsRs, '?after=not-an-id'],
    ] as [Record<string, string>, string][]) {
      const feed = await follow(A, headers, query);
      if (feed.status === 200) {
        // If it is accepted, it must at least deliver what is revoked next.
        expect(await revokeAs(B.url, 'support-agent', l.tool)).toBe(200);
        const e = await nextMatching(feed, (d) => d.jti === claimsOf(l.tool).jti);
        expect({ query, headers: headers['last-event-id'], delivered: e !== undefined }).toEqual({
          query,
          headers: headers['last-event-id'],
          delivered: true,
        });
      } else expect({ query, status: feed.status }).toEqual({ query, status: 400 });
    }
  });

  it('refuses followers without resource-server or admin credentials (401); an admin key may follow', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: basic('tickets-rs', 'wrong-secret') },
      { authorization: basic('support-agent', SECRETS['support-agent']) },
      { authorization: 'Bearer not-the-admin-key' },
    ];
    for (const headers of attempts) {
      const r = await follow(A, headers);
      expect({ auth: headers.authorization?.slice(0, 6), status: r.status }).toEqual({
        auth: headers.authorization?.slice(0, 6),
        status: 401,
      });
    }
    const admin = await follow(A, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(admin.status).toBe(200);
  });
});
