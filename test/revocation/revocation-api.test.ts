/**
 * The revocation API surface over real HTTP on the memory store (docs/revocation.md): RFC 7009 edge cases of
 * POST /revoke, the admin API's authentication, GET /admin/tasks/{txn} (the tree and its states),
 * the task's audit events, and the revocation feed's edge cases. The revocation rules themselves
 * are in revocation.test.ts.
 */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import type { AuditEntry, FeedEntry } from '../../src/store/store.js';
import {
  ADMIN_KEY,
  basic,
  claimsOf,
  credentials,
  ISSUER,
  mintWithBatonKey,
  postForm,
  revokeAs,
  SECRETS,
  startBaton,
  testConfig,
  TICKETS,
  type RunningBaton,
  type Upstream,
  startTestBaton,
} from '../support/fixtures.js';
import {
  adminRequest,
  adminRevoke,
  buildChain,
  compareStreamIds,
  expectLevel,
  FeedReader,
  flattenTree,
  handOffLevel,
  rootLevel,
  sleep,
  toolActive,
  toolToken,
  type TreeNodeJson,
} from '../support/revocation-flows.js';

let upstream: Upstream;
let b: RunningBaton;
let url: string;

beforeAll(async () => ({ upstream, b, url } = await startTestBaton()));
afterAll(() => b?.close());

/**
 * A memory store that is slow where Redis can be: its live subscription takes a while to be in
 * place (a new connection), and filing audit batches takes a while (a busy server).
 */
class SlowMemoryStore extends MemoryStore {
  subscribeDelayMs = 0;
  appendAuditDelayMs = 0;
  override async subscribe(
    onEntry: (e: FeedEntry) => void,
    onState?: (connected: boolean) => void,
  ) {
    if (this.subscribeDelayMs > 0) await sleep(this.subscribeDelayMs);
    return super.subscribe(onEntry, onState);
  }
  override async appendAudit(entries: readonly AuditEntry[]) {
    if (this.appendAuditDelayMs > 0) await sleep(this.appendAuditDelayMs);
    return super.appendAudit(entries);
  }
}

describe('RFC 7009 edge cases of POST /revoke', () => {
  const revokeForm = (as: 'support-agent' | 'billing-agent', fields: Record<string, string>) => {
    const c = credentials(as);
    return postForm(`${url}/revoke`, { ...c.form, ...fields }, c.headers);
  };

  it('answers 200 for a token Baton does not know (signed by Baton, for a task it never recorded)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unknown = await mintWithBatonKey(b.baton, {
      iss: ISSUER,
      sub: 'alice@example.com',
      aud: TICKETS,
      exp: now + 60,
      iat: now,
      nbf: now,
      jti: 'never-recorded',
      client_id: 'support-agent',
      scope: 'tickets:read',
      txn: 'never-started',
      act: { sub: 'support-agent' },
      lineage: { anc: [], st: [1] },
    });
    const r = await revokeForm('support-agent', { token: unknown });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
  });

  it('answers 200 for an already revoked token, and it stays revoked', async () => {
    const [l1] = await buildChain(url, upstream, 1);
    expect(await revokeAs(url, 'support-agent', l1!.tool)).toBe(200);
    expect(await revokeAs(url, 'support-agent', l1!.tool)).toBe(200);
    expect(await toolActive(url, l1!.tool)).toBe(false);
  });

  it('answers 200 for garbage and for a token of another issuer', async () => {
    expect((await revokeForm('support-agent', { token: 'not-a-token' })).status).toBe(200);
    expect((await revokeForm('support-agent', { token: await upstream.userToken() })).status).toBe(
      200,
    );
  });

  it('refuses a request without the token parameter (invalid_request)', async () => {
    const r = await revokeForm('support-agent', {});
    expect([r.status, r.body.error]).toEqual([400, 'invalid_request']);
  });

  it('still finds and revokes the token when token_type_hint says refresh_token (the hint is only a hint, §2.1)', async () => {
    const [l1] = await buildChain(url, upstream, 1);
    const r = await revokeForm('support-agent', {
      token: l1!.tool,
      token_type_hint: 'refresh_token',
    });
    expect(r.status).toBe(200);
    expect(await toolActive(url, l1!.tool)).toBe(false);
  });

  it('refuses to revoke a token issued to another client (unauthorized_client); the token stays active', async () => {
    const [, l2] = await buildChain(url, upstream, 2); // l2 is billing-agent's
    const r = await revokeForm('support-agent', { token: l2!.tool });
    expect([r.status, r.body.error]).toEqual([400, 'unauthorized_client']);
    const t = await revokeForm('support-agent', { token: l2!.task });
    expect([t.status, t.body.error]).toEqual([400, 'unauthorized_client']);
    await expectLevel(url, l2!, true);
  });

  it('refuses a resource server at /revoke (unauthorized_client); the token stays active', async () => {
    const [l1] = await buildChain(url, upstream, 1);
    const r = await postForm(
      `${url}/revoke`,
      { token: l1!.tool },
      { authorization: basic('tickets-rs', SECRETS['tickets-rs']) },
    );
    expect([r.status, r.body.error]).toEqual([400, 'unauthorized_client']);
    expect(await toolActive(url, l1!.tool)).toBe(true);
  });

  it('refuses a request without client authentication (401 invalid_client with WWW-Authenticate); the token stays active', async () => {
    const [l1] = await buildChain(url, upstream, 1);
    const r = await postForm(`${url}/revoke`, { token: l1!.tool });
    expect([r.status, r.body.error]).toEqual([401, 'invalid_client']);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await postForm(
      `${url}/revoke`,
      { token: l1!.tool },
      { authorization: basic('support-agent', 'wrong-secret') },
    );
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_client']);
    expect(await toolActive(url, l1!.tool)).toBe(true);
  });
});

describe('admin API authentication', () => {
  const routes: ['GET' | 'POST', string][] = [
    ['GET', '/admin/tasks/some-txn'],
    ['GET', '/admin/tasks/some-txn/events'],
    ['POST', '/admin/tasks/some-txn/revoke'],
    ['POST', '/admin/agents/support-agent/revoke'],
    ['POST', '/admin/users/alice%40example.com/revoke'],
    ['POST', '/admin/revoke-all'],
  ];

  it('answers 401 with WWW-Authenticate: Bearer without a key, with a wrong key, and with client Basic credentials', async () => {
    for (const [method, path] of routes) {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong-key-0123456789abcdefghijklmnopqrstuvwxyz' },
        { authorization: basic('support-agent', SECRETS['support-agent']) },
        { authorization: `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString('base64')}` },
      ];
      for (const headers of attempts) {
        const r = await adminRequest(url, method, path, headers);
        expect({
          method,
          path,
          auth: headers.authorization?.slice(0, 6),
          status: r.status,
        }).toEqual({ method, path, auth: headers.authorization?.slice(0, 6), status: 401 });
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
  });

  it('a refused revocation has no effect: tokens stay active after unauthenticated task, agent, user and global revocations', async () => {
    const chain = await buildChain(url, upstream, 2);
    const txn = claimsOf(chain[0]!.task).txn;
    for (const path of [
      `/admin/tasks/${txn}/revoke`,
      '/admin/agents/support-agent/revoke',
      '/admin/users/alice%40example.com/revoke',
      '/admin/revoke-all',
    ])
      expect((await adminRequest(url, 'POST', path, {})).status).toBe(401);
    for (const l of chain) await expectLevel(url, l, true);
  });
});

describe('GET /admin/tasks/{txn}', () => {
  it('shows the task’s tokens as a tree (parent/children) with each state: active, revoked (itself or by an ancestor), then task_ended', async () => {
    const t1 = await rootLevel(url, upstream, 'support-agent');
    const t2 = await handOffLevel(url, t1, 'billing-agent'); // stays active
    const t2b = await toolToken(url, 'billing-agent', t2.task); // revoked alone
    const t2x = await handOffLevel(url, t1, 'billing-agent'); // revoked with its tool token
    expect(await revokeAs(url, 'billing-agent', t2b)).toBe(200);
    expect(await revokeAs(url, 'billing-agent', t2x.task)).toBe(200);
    const txn = claimsOf(t1.task).txn;
    const jti = (t: string) => claimsOf(t).jti;

    const r = await adminRequest(url, 'GET', `/admin/tasks/${txn}`);
    expect(r.status).toBe(200);
    expect(r.body.task).toMatchObject({
      txn,
      owner: 'support-agent',
      sub: 'alice@example.com',
      status: 'open',
    });
    expect(new Set(r.body.revoked as string[])).toEqual(new Set([jti(t2b), jti(t2x.task)]));
    const roots = r.body.tokens as TreeNodeJson[];
    expect(roots.map((n) => n.jti)).toEqual([jti(t1.task)]);
    const byJti = new Map(flattenTree(roots).map((n) => [n.jti, n]));
    expect(byJti.size).toBe(7);
    const childrenOf = (t: string) => new Set(byJti.get(jti(t))!.children.map((c) => c.jti));
    expect(childrenOf(t1.task)).toEqual(new Set([jti(t1.tool), jti(t2.task), jti(t2x.task)]));
    expect(childrenOf(t2.task)).toEqual(new Set([jti(t2.tool), jti(t2b)]));
    expect(childrenOf(t2x.task)).toEqual(new Set([jti(t2x.tool)]));
    expect(byJti.get(jti(t2.tool))!.parent).toBe(jti(t2.task));
    expect(byJti.get(jti(t1.task))!.parent).toBeNull();
    expect(byJti.get(jti(t2.task))).toMatchObject({
      client_id: 'billing-agent',
      act: ['billing-agent', 'support-agent'],
      aud: ISSUER,
    });
    const states = (pairs: [string, string][]) =>
      pairs.map(([t, s]) => [byJti.get(jti(t))!.state, s]);
    for (const [got, want] of states([
      [t1.task, 'active'],
      [t1.tool, 'active'],
      [t2.task, 'active'],
      [t2.tool, 'active'],
      [t2b, 'revoked'],
      [t2x.task, 'revoked'],
      [t2x.tool, 'revoked'],
    ]))
      expect(got).toBe(want);

    await adminRevoke(url, `/admin/tasks/${txn}/revoke`);
    const ended = await adminRequest(url, 'GET', `/admin/tasks/${txn}`);
    expect(ended.body.task).toMatchObject({ status: 'revoked' });
    expect(new Set(flattenTree(ended.body.tokens as TreeNodeJson[]).map((n) => n.state))).toEqual(
      new Set(['task_ended']),
    );
  });

  it('answers 404 for an unknown task', async () => {
    expect((await adminRequest(url, 'GET', '/admin/tasks/no-such-task')).status).toBe(404);
  });
});

describe('GET /admin/tasks/{txn}/events (audit)', () => {
  it('lists task_started, token_issued for each token, token_revoked and task_revoked, in order, as soon as the revocation has answered (even when the store files audit batches slowly)', async () => {
    const store = new SlowMemoryStore(STORE_LIMITS);
    store.appendAuditDelayMs = 200;
    const own = await startBaton(testConfig(upstream), { store });
    try {
      const u = own.url;
      const t1 = await rootLevel(u, upstream, 'support-agent');
      const t2 = await handOffLevel(u, t1, 'billing-agent');
      expect(await revokeAs(u, 'billing-agent', t2.tool)).toBe(200);
      const txn = claimsOf(t1.task).txn;
      await adminRevoke(u, `/admin/tasks/${txn}/revoke`);

      const r = await adminRequest(u, 'GET', `/admin/tasks/${txn}/events`);
      expect(r.status).toBe(200);
      const events = r.body.events as {
        id: string;
        type: string;
        txn: string;
        client?: string;
        detail?: { jti?: string };
      }[];
      expect(events.map((e) => e.type)).toEqual([
        'task_started',
        'token_issued',
        'token_issued',
        'token_issued',
        'token_revoked',
        'task_revoked',
      ]);
      expect(events.every((e) => e.txn === txn)).toBe(true);
      expect(events.map((e) => e.detail?.jti)).toEqual([
        claimsOf(t1.task).jti,
        claimsOf(t1.tool).jti,
        claimsOf(t2.task).jti,
        claimsOf(t2.tool).jti,
        claimsOf(t2.tool).jti,
        undefined,
      ]);
      expect(events[4]!.client).toBe('billing-agent');
      expect(events[5]!.client).toBe('admin');
      // Ids are the stream's cursors: strictly increasing.
      const ids = events.map((e) => e.id);
      for (let i = 1; i < ids.length; i++) expect(compareStreamIds(ids[i - 1]!, ids[i]!)).toBe(-1);
    } finally {
      await own.close();
      await store.close();
    }
  });
});

describe('revocation feed (GET /revocations) on the memory store', () => {
  const asTicketsRs = { authorization: basic('tickets-rs', SECRETS['tickets-rs']) };

  it('a follower without a cursor gets every revocation made after its stream opened, even when the store is slow to subscribe (no gap between the 200 and the live subscription)', async () => {
    const store = new SlowMemoryStore(STORE_LIMITS);
    const own = await startBaton(testConfig(upstream), { store });
    let feed: FeedReader | undefined;
    try {
      const l = await rootLevel(own.url, upstream);
      store.subscribeDelayMs = 300;
      feed = await FeedReader.open(`${own.url}/revocations`, asTicketsRs);
      expect(feed.status).toBe(200);
      await feed.opened; // the follower has its 200 and the opening line: it is following from here
      expect(await revokeAs(own.url, 'support-agent', l.tool)).toBe(200);
      const e = await feed.next(2000);
      expect(e && (JSON.parse(e.data) as { jti?: string }).jti).toBe(claimsOf(l.tool).jti);
    } finally {
      feed?.close();
      await own.close();
      await store.close();
    }
  });

  it('a malformed cursor (Last-Event-ID / ?after=) is refused with 400, or else the stream still delivers: never a silent stream', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ ...asTicketsRs, 'last-event-id': 'not-an-id' }, ''],
      [asTicketsRs, '?after=not-an-id'],
    ];
    for (const [headers, query] of cases) {
      const l = await rootLevel(url, upstream);
      const feed = await FeedReader.open(`${url}/revocations${query}`, headers);
      try {
        if (feed.status === 200) {
          await feed.opened;
          await sleep(50); // let the subscription settle: this case is about the cursor, not the gap above
          expect(await revokeAs(url, 'support-agent', l.tool)).toBe(200);
          const e = await feed.next(2000);
          expect({ query, header: headers['last-event-id'], delivered: e !== undefined }).toEqual({
            query,
            header: headers['last-event-id'],
            delivered: true,
          });
        } else expect({ query, status: feed.status }).toEqual({ query, status: 400 });
      } finally {
        feed.close();
      }
    }
  });
});
