import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CryptoKey } from 'jose';
import { REDIS_STORE_DEFAULTS } from '../../../src/config/defaults.js';
import { RedisStore } from '../../../src/store/redis/redis-store.js';
import type { TokenStore } from '../../../src/store/store.js';
import { dropPrefix } from '../../../test/support/revocation-flows.js';
import {
  ADMIN_KEY,
  claimsOf,
  completeTaskAs,
  exchangeOk,
  makeClientKey,
  makeUpstream,
  revokeAs,
  startBaton,
  startTaskToken,
  testConfig,
  testRedisUrl,
  TICKETS,
  uniquePrefix,
  type RunningBaton,
  type Upstream,
} from '../../../test/support/index.js';
import type { BatonVerifier } from '../src/index.js';
import { bearer, ticketsVerifier, until, verdict } from './helpers.js';

const POLICY = `
@id("start") permit (principal, action == Baton::Action::"start_task", resource);
@id("hand-off") permit (principal, action == Baton::Action::"hand_off", resource);
@id("tickets") permit (principal, action == Baton::Action::"exchange", resource) when { resource.name == "tickets" };
`;
const CLOSED = POLICY.replace('@id("tickets") permit', '@id("tickets-closed") forbid');

/**
 * The same revocations and policy changes through both modes, on both stores: after each step
 * local mode (JWT + feed) and introspection mode (with its cache, dropped by the feed) give
 * the same verdict for every token, and it is the expected one.
 */
describe.each(['memory', 'redis'] as const)('local and introspection modes agree (%s)', (kind) => {
  let upstream: Upstream;
  let b: RunningBaton;
  let store: TokenStore | undefined;
  const prefix = uniquePrefix();
  let file: string;
  let rsKey: CryptoKey;
  let local: BatonVerifier;
  let intro: BatonVerifier;

  beforeAll(async () => {
    upstream = await makeUpstream();
    file = join(mkdtempSync(join(tmpdir(), 'baton-rs-')), 'policy.cedar');
    writeFileSync(file, POLICY);
    const k = await makeClientKey();
    rsKey = k.privateKey;
    store =
      kind === 'redis'
        ? await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, url: testRedisUrl(), prefix })
        : undefined;
    b = await startBaton(
      testConfig(upstream, (raw) => {
        raw.policy = { cedarFile: file, watch: false };
        // The tickets tool's resource server authenticates by private_key_jwt (feed and /introspect).
        const tools = raw.tools as { resourceServer: { auth: unknown } }[];
        tools[0]!.resourceServer.auth = { method: 'private_key_jwt', jwks: k.jwks };
      }),
      store ? { store } : {},
    );
    const credentials = { clientId: 'tickets-rs', privateKey: rsKey, kid: 'client-1' };
    local = ticketsVerifier(b.url, { credentials });
    intro = ticketsVerifier(b.url, { credentials, mode: 'introspection', feed: true });
    await Promise.all([local.ready(), intro.ready()]);
  });
  afterAll(async () => {
    await local.close();
    await intro.close();
    await b.close();
    if (store) {
      await store.close();
      await dropPrefix(testRedisUrl(), prefix);
    }
  });

  const tool = async (agent: 'support-agent' | 'billing-agent', sub = 'alice@example.com') => {
    const task = await startTaskToken(b.url, upstream, agent, {
      subject_token: await upstream.userToken({ sub }),
    });
    const t = await exchangeOk(b.url, agent, {
      subject_token: task,
      resource: TICKETS,
      scope: 'tickets:read',
    });
    return { task, token: t.token };
  };
  const admin = (path: string) =>
    fetch(`${b.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });

  test('revocation, completion, agent and user marks, and a policy change and back', async () => {
    const tokens = {
      revoked: await tool('support-agent'),
      completed: await tool('support-agent'),
      agent: await tool('billing-agent'),
      user: await tool('support-agent', 'bob@example.com'),
      policy: await tool('support-agent'),
    };
    const expected: Record<keyof typeof tokens, string> = {
      revoked: 'ok',
      completed: 'ok',
      agent: 'ok',
      user: 'ok',
      policy: 'ok',
    };
    const both = async (name: keyof typeof tokens) =>
      `${await verdict(local, bearer(tokens[name].token))}/${await verdict(intro, bearer(tokens[name].token))}`;
    const agree = async () => {
      for (const name of Object.keys(tokens) as (keyof typeof tokens)[]) {
        const want = `${expected[name]}/${expected[name]}`;
        expect([name, await until(() => both(name), want)]).toEqual([name, want]);
      }
    };
    const steps: [keyof typeof tokens, string, () => Promise<unknown>][] = [
      ['revoked', 'invalid_token', () => revokeAs(b.url, 'support-agent', tokens.revoked.task)],
      [
        'completed',
        'invalid_token',
        () => completeTaskAs(b.url, 'support-agent', claimsOf(tokens.completed.token).txn),
      ],
      ['agent', 'invalid_token', () => admin('/admin/agents/billing-agent/revoke')],
      [
        'user',
        'invalid_token',
        () => admin(`/admin/users/${encodeURIComponent('bob@example.com')}/revoke`),
      ],
      [
        'policy',
        'invalid_token',
        async () => {
          writeFileSync(file, CLOSED);
          await b.baton.reload();
        },
      ],
      [
        'policy',
        'ok',
        async () => {
          writeFileSync(file, POLICY);
          await b.baton.reload();
        },
      ],
    ];
    await agree();
    for (const [name, now, act] of steps) {
      await act();
      expected[name] = now;
      await agree();
    }
    // Local mode trusted its feed all along (the verdicts above were local, not fallbacks).
    expect(local.feedIsFresh()).toBe(true);
  });
});
