/**
 * Console sessions (docs/console.md, "Sessions"): an admin key turned into a session cookie
 * (`__Host-`, Secure, HttpOnly, SameSite=Strict outside loopback), refused without its CSRF
 * token or from a foreign Origin, served by a second instance on the same Redis, and ended on
 * both by logout.
 */
import { REDIS_STORE_DEFAULTS } from '../../src/config/defaults.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  ADMIN_KEY,
  ISSUER,
  makeUpstream,
  startBaton,
  testConfig,
  testKeys,
  type RunningBaton,
} from '../support/fixtures.js';
import { dropKeysUnder } from '../support/redis-keys.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix();
const COOKIE = '__Host-baton_session';
let stores: RedisStore[] = [];
let a: RunningBaton;
let b: RunningBaton;

beforeAll(async () => {
  const up = await makeUpstream();
  const config = testConfig(up);
  const keys = await testKeys(config);
  stores = await Promise.all(
    [1, 2].map(() => RedisStore.connect({ ...REDIS_STORE_DEFAULTS, url: testRedisUrl(), prefix })),
  );
  a = await startBaton(config, { store: stores[0]!, keys });
  b = await startBaton(config, { store: stores[1]!, keys });
});
afterAll(async () => {
  await a.close();
  await b.close();
  for (const s of stores) await s.close();
  await dropKeysUnder({ url: testRedisUrl() }, prefix);
});

/** Logs in with the admin key on `on`; returns the cookie pair and the session's CSRF token. */
async function login(on: RunningBaton) {
  const res = await fetch(`${on.url}/console/login/key`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ISSUER },
    body: new URLSearchParams({ key: ADMIN_KEY }),
  });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  const who = await fetch(`${on.url}/admin/session`, { headers: { cookie } });
  const body = (await who.json()) as { csrf: string; admin: string; role: string; via: string };
  return { setCookie, cookie, csrf: body.csrf, who: body };
}

const revokeUser = (on: RunningBaton, headers: Record<string, string>) =>
  fetch(`${on.url}/admin/users/${encodeURIComponent('someone@example.com')}/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: '{}',
  });

test('an admin key login sets a __Host- session cookie: Secure, HttpOnly, SameSite=Strict', async () => {
  const { setCookie, who } = await login(a);
  expect(setCookie.startsWith(`${COOKIE}=`)).toBe(true);
  for (const attr of ['Path=/', 'HttpOnly', 'SameSite=Strict', 'Secure'])
    expect(setCookie).toContain(attr);
  expect(setCookie).not.toContain('Domain');
  expect(who).toMatchObject({ admin: 'key-1', role: 'admin', via: 'session', login: 'key' });
});

test('a wrong admin key makes no session', async () => {
  const res = await fetch(`${a.url}/console/login/key`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: 'wrong' }),
  });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toContain('login_error=');
  expect(res.headers.get('set-cookie')).toBeNull();
});

test('a state-changing request with the session but without its CSRF token is refused', async () => {
  const { cookie } = await login(a);
  const r = await revokeUser(a, { cookie, origin: ISSUER });
  expect(r.status).toBe(403);
  expect(((await r.json()) as { error: string }).error).toBe('access_denied');
  const wrong = await revokeUser(a, { cookie, origin: ISSUER, 'x-csrf-token': 'guess' });
  expect(wrong.status).toBe(403);
});

test('a foreign Origin is refused, with the CSRF token, and with an admin key', async () => {
  const { cookie, csrf } = await login(a);
  const foreign = await revokeUser(a, {
    cookie,
    'x-csrf-token': csrf,
    origin: 'https://evil.test',
  });
  expect(foreign.status).toBe(403);
  const noOrigin = await revokeUser(a, { cookie, 'x-csrf-token': csrf });
  expect(noOrigin.status).toBe(403);
  const keyed = await revokeUser(a, {
    authorization: `Bearer ${ADMIN_KEY}`,
    origin: 'https://evil.test',
  });
  expect(keyed.status).toBe(403);
  expect(await revokeUser(a, { cookie, 'x-csrf-token': csrf, origin: ISSUER })).toHaveProperty(
    'status',
    200,
  );
});

test('answers no CORS: nothing allows another origin to read', async () => {
  const { cookie } = await login(a);
  const res = await fetch(`${a.url}/admin/session`, {
    headers: { cookie, origin: 'https://evil.test' },
  });
  expect(res.headers.get('access-control-allow-origin')).toBeNull();
});

test('a session made on one instance works on the other; logout ends it on both', async () => {
  const { cookie, csrf } = await login(a);
  expect((await fetch(`${b.url}/admin/tasks`, { headers: { cookie } })).status).toBe(200);
  expect(await revokeUser(b, { cookie, 'x-csrf-token': csrf, origin: ISSUER })).toHaveProperty(
    'status',
    200,
  );
  const out = await fetch(`${b.url}/console/logout`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrf, origin: ISSUER },
  });
  expect(out.status).toBe(200);
  expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
  for (const on of [a, b])
    expect((await fetch(`${on.url}/admin/tasks`, { headers: { cookie } })).status).toBe(401);
});

test('logging in again rotates the session: the one before it ends', async () => {
  const first = await login(a);
  const res = await fetch(`${a.url}/console/login/key`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: first.cookie },
    body: new URLSearchParams({ key: ADMIN_KEY }),
  });
  const second = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  expect(second).not.toBe(first.cookie);
  expect((await fetch(`${a.url}/admin/tasks`, { headers: { cookie: first.cookie } })).status).toBe(
    401,
  );
  expect((await fetch(`${a.url}/admin/tasks`, { headers: { cookie: second } })).status).toBe(200);
});

/** The global audit stream (`stream`), read with the admin key, once its batch is filed. */
async function eventsOf(on: RunningBaton, stream: 'decisions' | 'refusals', type: string) {
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${on.url}/admin/events?stream=${stream}&limit=500`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const { events } = (await r.json()) as { events: Record<string, unknown>[] };
    const found = events.filter((e) => e.type === type);
    if (found.length > 0) return found;
    await new Promise((res) => setTimeout(res, 50));
  }
  return [];
}

test('signing in, signing out and a refused sign-in are audit events naming the admin and role', async () => {
  const { cookie, csrf } = await login(a);
  await fetch(`${a.url}/console/logout`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrf, origin: ISSUER },
  });
  await fetch(`${a.url}/console/login/key`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: 'wrong' }),
  });
  const admin = { name: 'key-1', role: 'admin' };
  expect(await eventsOf(a, 'decisions', 'admin_signed_in')).toContainEqual(
    expect.objectContaining({ admin, decision: 'allow', detail: { via: 'key' } }),
  );
  expect(await eventsOf(a, 'decisions', 'admin_signed_out')).toContainEqual(
    expect.objectContaining({ admin, decision: 'done' }),
  );
  // Refusals are filed apart from decisions, so wrong keys cannot flood the story.
  expect(await eventsOf(a, 'refusals', 'admin_sign_in_refused')).toContainEqual(
    expect.objectContaining({ decision: 'deny', reason: 'that admin key is not valid' }),
  );
});
