/**
 * Revocation rules over real HTTP on the memory store (docs/revocation.md, "What dies with what"): cascade
 * from a task token at every depth, revocation of a token by an admin, refusal to extend a revoked
 * chain, and task / agent / user / kill-switch revocation. Tool tokens are judged by introspection
 * (their resource server); task tokens, which are active to no resource server, by their state in
 * the admin tree and by whether they still exchange. The API surface (RFC 7009 edge cases, admin
 * authentication, the task tree, audit, the feed) is in revocation-api.test.ts.
 */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import {
  ADMIN_KEY,
  claimsOf,
  exchange,
  ISSUER,
  startBaton,
  testConfig,
  testKeys,
  revokeAs,
  type RunningBaton,
  type Upstream,
  startTestBaton,
} from '../support/fixtures.js';
import {
  adminRequest,
  adminRevoke,
  buildChain,
  expectLevel,
  extendAsHolder,
  handOffLevel,
  rootLevel,
  toolActive,
  toolToken,
  treeState,
  type Level,
} from '../support/revocation-flows.js';

let upstream: Upstream;
let b: RunningBaton;
let url: string;

beforeAll(async () => ({ upstream, b, url } = await startTestBaton()));
afterAll(() => b?.close());

const adminJson = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

/** Mark revocations (agent, user, all) outlive the test: each of those tests gets its own Baton. */
async function withOwnBaton(run: (url: string) => Promise<void>): Promise<void> {
  const own = await startBaton(testConfig(upstream));
  try {
    await run(own.url);
  } finally {
    await own.close();
  }
}

describe('cascade: POST /revoke of a task token by its holder', () => {
  it.each([1, 2, 3, 4])(
    'revoking the task token at depth %i kills it, its tool token and every hand-off and tool token below it; the levels above and a sibling branch stay active',
    async (d) => {
      const chain = await buildChain(url, upstream, 4);
      // A sibling of the revoked level: a second hand-off from its parent (or, at depth 1, another task of the same user and agent).
      const sibling =
        d > 1
          ? await handOffLevel(url, chain[d - 2]!, chain[d - 1]!.agent)
          : await rootLevel(url, upstream, chain[0]!.agent);
      const target = chain[d - 1]!;
      expect(await revokeAs(url, target.agent, target.task)).toBe(200);
      for (const l of chain) await expectLevel(url, l, l.depth < d);
      await expectLevel(url, sibling, true);
      // What is left above still works: its holder mints a new tool token, which is active.
      const survivor = d > 1 ? chain[d - 2]! : sibling;
      expect(await toolActive(url, await toolToken(url, survivor.agent, survivor.task))).toBe(true);
    },
  );

  it('revoking a tool token kills that token only: its task token and a sibling tool token stay active', async () => {
    const [l1] = await buildChain(url, upstream, 1);
    const other = await toolToken(url, l1!.agent, l1!.task);
    expect(await revokeAs(url, l1!.agent, l1!.tool)).toBe(200);
    expect(await toolActive(url, l1!.tool)).toBe(false);
    expect(await toolActive(url, other)).toBe(true);
    expect(await treeState(url, l1!.task)).toBe('active');
  });
});

describe('POST /admin/tokens/revoke', () => {
  it('lets an admin revoke any client’s token and everything derived from it', async () => {
    const chain = await buildChain(url, upstream, 3);
    const r = await adminRequest(url, 'POST', '/admin/tokens/revoke', { ...adminJson });
    expect([r.status, r.body.error]).toEqual([400, 'invalid_request']);
    const ok = await fetch(`${url}/admin/tokens/revoke`, {
      method: 'POST',
      headers: adminJson,
      body: JSON.stringify({ token: chain[1]!.task }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      revoked: 'token',
      txn: claimsOf(chain[1]!.task).txn,
      jti: claimsOf(chain[1]!.task).jti,
    });
    await expectLevel(url, chain[0]!, true);
    for (const l of chain.slice(1)) await expectLevel(url, l, false);
  });

  it('answers 200 with a note for something that is not a live Baton token', async () => {
    const r = await fetch(`${url}/admin/tokens/revoke`, {
      method: 'POST',
      headers: adminJson,
      body: JSON.stringify({ token: 'garbage' }),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ revoked: 'token', note: expect.any(String) });
  });
});

describe('a revoked chain cannot be extended (RFC 8693 §2.2.2: invalid_request)', () => {
  it('refuses a revoked task token as subject, for a tool token and for a hand-off', async () => {
    const [l1] = await buildChain(url, upstream, 1);
    expect(await revokeAs(url, 'support-agent', l1!.task)).toBe(200);
    const tool = await extendAsHolder(url, l1!.task);
    expect([tool.status, tool.body.error]).toEqual([400, 'invalid_request']);
    const hand = await exchange(url, 'billing-agent', {
      subject_token: l1!.task,
      audience: ISSUER,
    });
    expect([hand.status, hand.body.error]).toEqual([400, 'invalid_request']);
  });

  it('refuses every descendant of a revoked task token as subject (hand-offs made before the revocation)', async () => {
    const chain = await buildChain(url, upstream, 4);
    expect(await revokeAs(url, 'billing-agent', chain[1]!.task)).toBe(200);
    for (const l of chain.slice(2)) {
      const r = await extendAsHolder(url, l.task);
      expect({ depth: l.depth, status: r.status, error: r.body.error }).toEqual({
        depth: l.depth,
        status: 400,
        error: 'invalid_request',
      });
    }
    // depth 3 (support-agent) handing to billing-agent would be depth 4, allowed by policy, but not from a dead chain.
    const hand = await exchange(url, 'billing-agent', {
      subject_token: chain[2]!.task,
      audience: ISSUER,
    });
    expect([hand.status, hand.body.error]).toEqual([400, 'invalid_request']);
    // The level above the revoked one still extends.
    expect((await extendAsHolder(url, chain[0]!.task)).status).toBe(200);
  });

  it('refuses a task token of an admin-revoked task (invalid_request)', async () => {
    const chain = await buildChain(url, upstream, 2);
    await adminRevoke(url, `/admin/tasks/${claimsOf(chain[0]!.task).txn}/revoke`);
    for (const l of chain)
      expect((await extendAsHolder(url, l.task)).body.error).toBe('invalid_request');
  });
});

describe('POST /admin/tasks/{txn}/revoke', () => {
  it('kills every token of the task at every depth, reports how many, and leaves the other tasks of the same user and agents active', async () => {
    const chain = await buildChain(url, upstream, 4);
    const other = await buildChain(url, upstream, 2);
    const txn = claimsOf(chain[0]!.task).txn;
    const r = await adminRevoke(url, `/admin/tasks/${txn}/revoke`);
    expect(r).toEqual({
      revoked: 'task',
      txn,
      status: 'revoked',
      tokens_ended: 8,
      already_ended: false,
    });
    for (const l of chain) await expectLevel(url, l, false, 'task_ended');
    for (const l of other) await expectLevel(url, l, true);
    const tree = await adminRequest(url, 'GET', `/admin/tasks/${txn}`);
    expect(tree.body.task as { status: string; endedBy: string }).toMatchObject({
      status: 'revoked',
      endedBy: 'admin',
    });
  });

  it('is idempotent (200, already_ended) and answers 404 for an unknown task', async () => {
    const [l1] = await buildChain(url, upstream, 1);
    const txn = claimsOf(l1!.task).txn;
    await adminRevoke(url, `/admin/tasks/${txn}/revoke`);
    const again = await adminRequest(url, 'POST', `/admin/tasks/${txn}/revoke`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ already_ended: true, tokens_ended: 0, status: 'revoked' });
    expect((await adminRequest(url, 'POST', '/admin/tasks/no-such-task/revoke')).status).toBe(404);
  });
});

describe('POST /admin/agents/{id}/revoke', () => {
  it('kills every token with the agent anywhere in its act chain or held by it as client; tokens of tasks that never involved it stay active', async () => {
    await withOwnBaton(async (u) => {
      // Task X: support starts (X1), hands to billing (X2), billing hands back to support (X3).
      const x1 = await rootLevel(u, upstream, 'support-agent');
      const x2 = await handOffLevel(u, x1, 'billing-agent');
      const x3 = await handOffLevel(u, x2, 'support-agent');
      const y = await rootLevel(u, upstream, 'billing-agent'); // started and held by billing
      const z = await rootLevel(u, upstream, 'support-agent', 'bob@example.com'); // never involved billing
      const z2 = await handOffLevel(u, z, 'isolated-agent');
      const r = await adminRevoke(u, '/admin/agents/billing-agent/revoke');
      expect(r).toMatchObject({ revoked: 'agent', id: 'billing-agent' });
      await expectLevel(u, x2, false); // billing is the current actor and the client
      await expectLevel(u, x3, false); // billing is an inner actor
      await expectLevel(u, y, false);
      await expectLevel(u, x1, true); // made before billing joined the task; billing is not in its chain
      await expectLevel(u, z, true);
      await expectLevel(u, z2, true);
      // Neither it nor a chain it took part in can be extended any more.
      expect((await extendAsHolder(u, x2.task)).body.error).toBe('invalid_request');
      expect((await extendAsHolder(u, x3.task)).body.error).toBe('invalid_request');
      expect((await extendAsHolder(u, y.task)).body.error).toBe('invalid_request');
    });
  });

  it('the revoked agent still gets new tokens afterwards: a fresh task, its tool token and a new hand-off to it are active', async () => {
    await withOwnBaton(async (u) => {
      const before = await rootLevel(u, upstream, 'billing-agent');
      const x1 = await rootLevel(u, upstream, 'support-agent');
      await adminRevoke(u, '/admin/agents/billing-agent/revoke');
      await expectLevel(u, before, false);
      await expectLevel(u, await rootLevel(u, upstream, 'billing-agent'), true);
      // x1 (support only) is alive; a hand-off of it to billing made after the revocation is new, so active.
      await expectLevel(u, await handOffLevel(u, x1, 'billing-agent'), true);
    });
  });

  it('a task the revoked agent starts afterwards for another agent (actor_token, two act levels from the start) is active: by introspection and in the admin tree', async () => {
    await withOwnBaton(async (u) => {
      await adminRevoke(u, '/admin/agents/orchestrator/revoke');
      const actorToken = await upstream.userToken({ sub: 'billing-agent' });
      const started = await exchange(u, 'orchestrator', {
        subject_token: await upstream.userToken(),
        audience: ISSUER,
        actor_token: actorToken,
        actor_token_type: TOKEN_TYPE_ACCESS,
      });
      expect(started.status).toBe(200);
      const task = started.body.access_token as string;
      expect(claimsOf(task).act).toEqual({ sub: 'billing-agent', act: { sub: 'orchestrator' } });
      const level: Level = {
        depth: 2,
        agent: 'billing-agent',
        task,
        tool: await toolToken(u, 'billing-agent', task),
      };
      expect(await toolActive(u, level.tool)).toBe(true);
      expect((await extendAsHolder(u, task)).status).toBe(200);
      // The admin tree must judge it as introspection does.
      expect(await treeState(u, level.task)).toBe('active');
      expect(await treeState(u, level.tool)).toBe('active');
    });
  });

  it('an agent disabled in config gets no new token after its revocation (invalid_client); its old tokens stay inactive', async () => {
    const store = new MemoryStore(STORE_LIMITS);
    const config = testConfig(upstream);
    const keys = await testKeys(config);
    let old: Level;
    let y: Level;
    const first = await startBaton(config, { store, keys });
    try {
      old = await rootLevel(first.url, upstream, 'billing-agent');
      y = await rootLevel(first.url, upstream, 'support-agent');
      await adminRevoke(first.url, '/admin/agents/billing-agent/revoke');
    } finally {
      await first.close();
    }
    // The same deployment restarted with billing-agent disabled in its config.
    const disabled = testConfig(upstream, (raw) => {
      for (const a of raw.agents as { id: string; disabled?: boolean }[])
        if (a.id === 'billing-agent') a.disabled = true;
    });
    const second = await startBaton(disabled, { store, keys });
    try {
      const start = await exchange(second.url, 'billing-agent', {
        subject_token: await upstream.userToken(),
        audience: ISSUER,
      });
      expect([start.status, start.body.error]).toEqual([401, 'invalid_client']);
      const take = await exchange(second.url, 'billing-agent', {
        subject_token: y.task,
        audience: ISSUER,
      });
      expect([take.status, take.body.error]).toEqual([401, 'invalid_client']);
      expect(await toolActive(second.url, old.tool)).toBe(false);
      expect(await toolActive(second.url, y.tool)).toBe(true);
    } finally {
      await second.close();
      await store.close();
    }
  });
});

describe('POST /admin/users/{sub}/revoke', () => {
  it('kills every token whose sub is that user, across tasks, agents and depths; other users’ tokens stay active', async () => {
    await withOwnBaton(async (u) => {
      const alice = [
        ...(await buildChain(u, upstream, 3, 'alice@example.com')),
        await rootLevel(u, upstream, 'billing-agent', 'alice@example.com'),
      ];
      const bob = [
        ...(await buildChain(u, upstream, 3, 'bob@example.com')),
        await rootLevel(u, upstream, 'billing-agent', 'bob@example.com'),
      ];
      const r = await adminRevoke(
        u,
        `/admin/users/${encodeURIComponent('alice@example.com')}/revoke`,
      );
      expect(r).toMatchObject({ revoked: 'user', id: 'alice@example.com' });
      for (const l of alice) await expectLevel(u, l, false);
      for (const l of bob) await expectLevel(u, l, true);
      for (const l of alice)
        expect((await extendAsHolder(u, l.task)).body.error).toBe('invalid_request');
    });
  });

  it('after a user revocation the user can start a new task, and its tokens are active', async () => {
    await withOwnBaton(async (u) => {
      const old = await rootLevel(u, upstream, 'support-agent', 'alice@example.com');
      await adminRevoke(u, `/admin/users/${encodeURIComponent('alice@example.com')}/revoke`);
      await expectLevel(u, old, false);
      const fresh = await rootLevel(u, upstream, 'support-agent', 'alice@example.com');
      await expectLevel(u, fresh, true);
      await expectLevel(u, await handOffLevel(u, fresh, 'billing-agent'), true);
    });
  });
});

describe('POST /admin/revoke-all (kill switch)', () => {
  it('kills every token issued before it, of every task, user and agent; a task started after it works', async () => {
    await withOwnBaton(async (u) => {
      const before = [
        ...(await buildChain(u, upstream, 4, 'alice@example.com')),
        ...(await buildChain(u, upstream, 2, 'bob@example.com')),
        await rootLevel(u, upstream, 'billing-agent', 'carol@example.com'),
        await rootLevel(u, upstream, 'isolated-agent', 'dave@example.com'),
      ];
      const r = await adminRevoke(u, '/admin/revoke-all');
      expect(r).toMatchObject({ revoked: 'all' });
      expect(typeof r.before).toBe('number');
      for (const l of before) await expectLevel(u, l, false);
      for (const l of before)
        expect((await extendAsHolder(u, l.task)).body.error).toBe('invalid_request');
      const after = await buildChain(u, upstream, 4, 'alice@example.com');
      for (const l of after) await expectLevel(u, l, true);
    });
  });
});
