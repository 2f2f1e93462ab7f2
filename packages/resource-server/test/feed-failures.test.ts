import { setClock } from '../../../src/clock.js';
import { STORE_LIMITS } from '../../../src/config/defaults.js';
import type { Config } from '../../../src/config/schema.js';
import type { KeySet } from '../../../src/keys/keyset.js';
import { MemoryStore } from '../../../src/store/memory/memory-store.js';
import {
  exchangeOk,
  makeUpstream,
  startBaton,
  type RunningBaton,
  mintWithBatonKey,
  claimsOf,
  startTaskToken,
  testConfig,
  testKeys,
  TICKETS,
  type Upstream,
} from '../../../test/support/index.js';
import type { BatonVerifier } from '../src/index.js';
import { bearer, ticketsVerifier, until, verdict } from './helpers.js';

/** Baton on a fixed port with a given store and keys, so a test can restart it under a follower. */
async function bootOn(config: Config, store: MemoryStore, keys: KeySet, port = 0) {
  const b = await startBaton(config, { store, keys, port });
  return { ...b, port: Number(new URL(b.url).port) };
}

const ticketToken = async (url: string, up: Upstream, agent: 'support-agent' | 'billing-agent') => {
  const task = await startTaskToken(url, up, agent);
  return (
    await exchangeOk(url, agent, { subject_token: task, resource: TICKETS, scope: 'tickets:read' })
  ).token;
};

describe('the feed when things go wrong', () => {
  let up: Upstream;
  let config: Config;
  let keys: KeySet;
  const open: { v: BatonVerifier[]; b: RunningBaton['baton'][] } = { v: [], b: [] };

  beforeAll(async () => {
    up = await makeUpstream();
    config = testConfig(up);
    keys = await testKeys(config);
  });
  afterEach(async () => {
    for (const v of open.v.splice(0)) await v.close();
    for (const b of open.b.splice(0)) await b.close();
  });

  test('a stale feed is not trusted: checks go to /introspect, and fail closed (503) without it', async () => {
    const a = await bootOn(config, new MemoryStore(STORE_LIMITS), keys);
    open.b.push(a.baton);
    // 300 ms bound against Baton's 15 s pings: the feed goes stale while connected and silent.
    const v = ticketsVerifier(a.url, { staleAfterMs: 300 });
    open.v.push(v);
    await v.ready();
    const live = await ticketToken(a.url, up, 'support-agent');
    // Signed by Baton but never recorded: only Baton itself can tell it is not one of its tokens.
    const unrecorded = await mintWithBatonKey(a.baton, {
      ...claimsOf(live),
      jti: 'never-recorded',
    });
    expect(await until(async () => v.feedIsFresh(), false)).toBe(false);
    expect(await verdict(v, bearer(unrecorded))).toBe('invalid_token');
    expect(await verdict(v, bearer(live))).toBe('ok');
    await a.baton.close();
    open.b.length = 0;
    const e = await v.verify(bearer(live)).catch((x) => x);
    expect([e.status, e.code, e.headers['Retry-After']]).toEqual([
      503,
      'temporarily_unavailable',
      '5',
    ]);
  });

  test('a reset (Baton restarted with a new store) drops the state and re-checks held tokens', async () => {
    const a = await bootOn(config, new MemoryStore(STORE_LIMITS), keys);
    const seen: string[] = [];
    const v = ticketsVerifier(a.url, { onEvent: (n) => seen.push(n.type) });
    open.v.push(v);
    await v.ready();
    const before = await ticketToken(a.url, up, 'support-agent');
    expect(await verdict(v, bearer(before))).toBe('ok');
    await a.baton.close();
    const b = await bootOn(config, new MemoryStore(STORE_LIMITS), keys, a.port);
    open.b.push(b.baton);
    expect(await until(async () => seen.includes('reset') && v.feedIsFresh(), true)).toBe(true);
    // The new Baton never recorded it: local state alone would have said "ok".
    expect(await verdict(v, bearer(before))).toBe('invalid_token');
    expect(await verdict(v, bearer(await ticketToken(b.url, up, 'support-agent')))).toBe('ok');
  });

  test("a reset re-checks tokens stamped by a Baton clock ahead of the resource's (within the tolerance)", async () => {
    // Baton's clock runs 4 s ahead, within the 5 s both sides tolerate: the resource takes its tokens.
    setClock(() => Date.now() + 4_000);
    try {
      const a = await bootOn(config, new MemoryStore(STORE_LIMITS), keys);
      const seen: string[] = [];
      const v = ticketsVerifier(a.url, { onEvent: (n) => seen.push(n.type) });
      open.v.push(v);
      await v.ready();
      const before = await ticketToken(a.url, up, 'support-agent');
      expect(await verdict(v, bearer(before))).toBe('ok');
      await a.baton.close();
      const b = await bootOn(config, new MemoryStore(STORE_LIMITS), keys, a.port);
      open.b.push(b.baton);
      expect(await until(async () => seen.includes('reset') && v.feedIsFresh(), true)).toBe(true);
      // Issued before the reset, though its iat lies past the resource's "now": re-checked all the same.
      expect(await verdict(v, bearer(before))).toBe('invalid_token');
    } finally {
      setClock();
    }
  });

  test('an agent disabled in config is a mark on the feed: both modes refuse its tokens', async () => {
    const store = new MemoryStore(STORE_LIMITS);
    const a = await bootOn(config, store, keys);
    const local = ticketsVerifier(a.url);
    const intro = ticketsVerifier(a.url, { mode: 'introspection', introspectionCacheSeconds: 0 });
    open.v.push(local, intro);
    await local.ready();
    const token = await ticketToken(a.url, up, 'billing-agent');
    expect([await verdict(local, bearer(token)), await verdict(intro, bearer(token))]).toEqual([
      'ok',
      'ok',
    ]);
    await a.baton.close();
    const disabled = testConfig(up, (raw) => {
      (raw.agents as { id: string; disabled?: boolean }[]).find(
        (x) => x.id === 'billing-agent',
      )!.disabled = true;
    });
    const b = await bootOn(disabled, store, keys, a.port);
    open.b.push(b.baton);
    expect(await until(() => verdict(local, bearer(token)), 'invalid_token')).toBe('invalid_token');
    expect(await verdict(intro, bearer(token))).toBe('invalid_token');
    expect(local.feedIsFresh()).toBe(true);
  });
});
