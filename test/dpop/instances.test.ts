/**
 * DPoP across instances (RFC 9449 §11.1 replay, §8 nonces): two Batons in process, each with its
 * own RedisStore on one standalone Redis and on the 3-node Cluster. A proof used on A is a replay
 * on B; the replay record carries the `{jkt}` hash tag; a nonce handed out by A verifies on B.
 */
import { REDIS_STORE_DEFAULTS } from '../../src/config/defaults.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  claimsOf,
  ISSUER,
  makeUpstream,
  type RunningBaton,
  startBaton,
  testConfig,
  testKeys,
  type Upstream,
} from '../support/fixtures.js';
import { dpopExchange, dpopKey } from '../support/dpop.js';
import { dropKeysUnder, keysUnder, type RedisTarget } from '../support/redis-keys.js';
import {
  startRedisCluster,
  type TestRedisCluster,
  testRedisUrl,
  uniquePrefix,
} from '../support/redis.js';

const HTU = `${ISSUER}/token`;
const NONCE_SECRET = 'a-shared-nonce-secret-of-32-chars-or-more';

describe.each(['standalone', 'cluster'] as const)('two instances on %s Redis', (kind) => {
  const prefix = uniquePrefix();
  let cluster: TestRedisCluster | undefined;
  let target: RedisTarget;
  let upstream: Upstream;
  const stores: RedisStore[] = [];
  const batons: RunningBaton[] = [];
  let A: RunningBaton;
  let B: RunningBaton;

  beforeAll(async () => {
    upstream = await makeUpstream();
    if (kind === 'cluster') {
      cluster = await startRedisCluster();
      target = { cluster: cluster.nodes };
    } else target = { url: testRedisUrl() };
    const config = testConfig(upstream, (raw) => {
      raw.dpop = { nonce: { secret: NONCE_SECRET } };
    });
    const keys = await testKeys(config);
    for (let i = 0; i < 2; i++) {
      const store = await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, ...target, prefix });
      stores.push(store);
      batons.push(await startBaton(config, { store, keys }));
    }
    [A, B] = batons as [RunningBaton, RunningBaton];
  }, 120_000);

  afterAll(async () => {
    for (const b of batons) await b.close();
    for (const s of stores) await s.close();
    await dropKeysUnder(target, prefix).catch(() => undefined);
    await cluster?.stop();
  }, 120_000);

  const start = async (on: RunningBaton, proof: string) =>
    dpopExchange(
      on.url,
      'support-agent',
      { subject_token: await upstream.userToken(), audience: ISSUER },
      proof,
    );

  it('a proof without the nonce is answered use_dpop_nonce with a DPoP-Nonce; that nonce from A verifies on B', async () => {
    const key = await dpopKey();
    const first = await start(A, await key.proof('POST', HTU));
    expect({ status: first.status, error: first.body.error }).toEqual({
      status: 400,
      error: 'use_dpop_nonce',
    });
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
    const onB = await start(B, await key.proof('POST', HTU, { nonce: nonce! }));
    expect(onB.status).toBe(200);
    expect(claimsOf(onB.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });

  it('refuses a forged nonce (use_dpop_nonce)', async () => {
    const key = await dpopKey();
    const r = await start(
      A,
      await key.proof('POST', HTU, { nonce: 'zzzzzz.AAAAAAAAAAAAAAAAAAAAAA' }),
    );
    expect(r.body.error).toBe('use_dpop_nonce');
  });

  it('a proof used on A is a replay on B (invalid_dpop_proof); its record is under the key’s {jkt} tag', async () => {
    const key = await dpopKey();
    const nonce = (await start(A, await key.proof('POST', HTU))).headers.get('dpop-nonce')!;
    const proof = await key.proof('POST', HTU, { nonce });
    expect((await start(A, proof)).status).toBe(200);
    const replay = await start(B, proof);
    expect({ status: replay.status, ...replay.body }).toEqual({
      status: 400,
      error: 'invalid_dpop_proof',
      error_description: 'DPoP proof has been used before (jti replayed)',
    });
    const records = (await keysUnder(target, prefix)).filter((k) => k.includes(`{${key.jkt}}`));
    expect(records).toHaveLength(1);
  });
});
