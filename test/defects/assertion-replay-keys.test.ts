/**
 * A client assertion's jti is single-use per client (RFC 7523 §3), recorded under a name built
 * from the client id and the jti. With `:` in both, `a:b` + `c` and `a` + `b:c` were one record
 * on Redis (`once:assert:a:b:c`), so one client's assertion was refused as another's replay. The
 * name is length-prefixed now (src/store/once-key.ts). Over HTTP, standalone Redis store.
 */
import { REDIS_STORE_DEFAULTS, STORE_LIMITS } from '../../src/config/defaults.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  assertionForm,
  clientAssertion,
  ISSUER,
  makeClientKey,
  makeUpstream,
  startBaton,
  testConfig,
  tokenRequest,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';
import { dropKeysUnder } from '../support/redis-keys.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import type { CryptoKey } from 'jose';

let upstream: Upstream;
let store: RedisStore;
let b: RunningBaton;
const prefix = uniquePrefix();
const keyOf: Record<string, CryptoKey> = {};

beforeAll(async () => {
  upstream = await makeUpstream();
  const agents: Record<string, unknown>[] = [];
  for (const id of ['ops:eu', 'ops']) {
    const k = await makeClientKey('client-1');
    keyOf[id] = k.privateKey;
    agents.push({
      id,
      auth: { method: 'private_key_jwt', jwks: k.jwks },
      taskScopes: ['tickets:read'],
    });
  }
  store = await RedisStore.connect({
    ...REDIS_STORE_DEFAULTS,
    ...STORE_LIMITS,
    url: testRedisUrl(),
    prefix,
  });
  b = await startBaton(
    testConfig(upstream, (raw) => (raw.agents as unknown[]).push(...agents)),
    { store },
  );
});
afterAll(async () => {
  await b?.close();
  await store?.close();
  await dropKeysUnder({ url: testRedisUrl() }, prefix);
});

const startAs = async (client: string, jti: string) =>
  tokenRequest(b.url, {
    subject_token: await upstream.userToken(),
    audience: ISSUER,
    ...assertionForm(await clientAssertion(keyOf[client]!, client, { jti })),
  });

it('client ops:eu with jti x and client ops with jti eu:x are each accepted once', async () => {
  const jti = `x-${Date.now()}`;
  expect((await startAs('ops:eu', jti)).status).toBe(200);
  expect((await startAs('ops', `eu:${jti}`)).status).toBe(200);
  // Each is still single-use: the replay of either is refused.
  expect((await startAs('ops', `eu:${jti}`)).body.error).toBe('invalid_client');
  expect((await startAs('ops:eu', jti)).body.error).toBe('invalid_client');
});
