/**
 * On a Redis Cluster a task's keys share its `{txn}` hash tag. A txn that arrives from outside
 * (a path, an approval id) with `}` or `{` in it must not break the tag: `}x` would make an
 * empty tag, spread the task's keys over slots and fail its scripts with CROSSSLOT (a 5xx).
 * Keys escape `%`, `{` and `}` where they are named (src/store/redis/keys.ts), so such an id is
 * an unknown task like any other: 404 over HTTP, and a task with one works in the store.
 */
import { REDIS_STORE_DEFAULTS, STORE_LIMITS } from '../../src/config/defaults.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  credentials,
  makeUpstream,
  postJson,
  startBaton,
  testConfig,
} from '../support/fixtures.js';
import type { RunningBaton } from '../support/fixtures.js';
import { dropKeysUnder } from '../support/redis-keys.js';
import { startRedisCluster, type TestRedisCluster, uniquePrefix } from '../support/redis.js';
import { adminRequest } from '../support/revocation-flows.js';
import { rootTokenFixture, taskFixture } from '../support/store-fixtures.js';

let cluster: TestRedisCluster | undefined;
let store: RedisStore;
let b: RunningBaton;
const prefix = uniquePrefix();

beforeAll(async () => {
  cluster = await startRedisCluster();
  store = await RedisStore.connect({
    ...REDIS_STORE_DEFAULTS,
    ...STORE_LIMITS,
    cluster: cluster.nodes,
    prefix,
  });
  b = await startBaton(testConfig(await makeUpstream()), { store });
}, 120_000);

afterAll(async () => {
  await b?.close();
  await store?.close();
  if (cluster) {
    await dropKeysUnder({ cluster: cluster.nodes }, prefix);
    await cluster.stop();
  }
}, 120_000);

const TXNS = ['}', '}x', '{a}', 'a{b', 'a}b{c}', '%7D'];

describe.each(TXNS)('txn %j', (txn) => {
  const p = encodeURIComponent(txn);

  it('every admin route answers as for an unknown task (never 5xx)', async () => {
    const answers = {
      tree: (await adminRequest(b.url, 'GET', `/admin/tasks/${p}`)).status,
      events: (await adminRequest(b.url, 'GET', `/admin/tasks/${p}/events`)).status,
      revoke: (await adminRequest(b.url, 'POST', `/admin/tasks/${p}/revoke`)).status,
      approval: (await adminRequest(b.url, 'GET', `/admin/approvals/${p}.abc`)).status,
      approve: (await adminRequest(b.url, 'POST', `/admin/approvals/${p}.abc/approve`)).status,
      deny: (await adminRequest(b.url, 'POST', `/admin/approvals/${p}.abc/deny`)).status,
    };
    expect(answers).toEqual({
      tree: 404,
      events: 200,
      revoke: 404,
      approval: 404,
      approve: 404,
      deny: 404,
    });
  });

  it('completing it is 404 not_found', async () => {
    const c = credentials('support-agent');
    const r = await postJson(`${b.url}/tasks/${p}/complete`, { outcome: 'succeeded' }, c.headers);
    expect({ status: r.status, error: r.body.error }).toEqual({ status: 404, error: 'not_found' });
  });

  it('a task recorded under it lives, revokes and ends in one slot', async () => {
    const task = taskFixture({ txn });
    const root = rootTokenFixture(task);
    await store.startTask(task, root);
    expect(await store.checkToken(txn, root.jti, [])).toBe('active');
    expect((await store.getTaskTree(txn))?.tokens.map((t) => t.jti)).toEqual([root.jti]);
    expect(await store.revokeToken(txn, root.jti)).toEqual({ changed: true });
    expect(await store.checkToken(txn, root.jti, [])).toBe('revoked');
    expect((await store.endTask(txn, 'revoked', 'admin'))?.changed).toBe(true);
  });
});
