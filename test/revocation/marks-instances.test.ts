/**
 * Cross-task marks across two instances after the change to incremental reads and expiry
 * (docs/revocation.md, "How long marks are kept"), on the memory store (shared in process),
 * standalone Redis and the 3-node Cluster: a user revocation made on one instance kills the
 * tokens on the other, on an instance that has just started (its full read), after the other's
 * feed dropped (events missed), and at the edge of expiry by the injectable clock (src/clock.ts).
 */
import { setClock } from '../../src/clock.js';
import { DEFAULTS, REDIS_STORE_DEFAULTS, STORE_LIMITS } from '../../src/config/defaults.js';
import { longestTaskSeconds, markRetentionSeconds } from '../../src/config/task-lifetime.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import type { TokenStore } from '../../src/store/store.js';
import { actorChain } from '../../src/tokens/claims.js';
import {
  claimsOf,
  exchange,
  makeUpstream,
  type RunningBaton,
  startBaton,
  testConfig,
  testKeys,
  TICKETS,
  type Upstream,
} from '../support/fixtures.js';
import { withFeedSwitch } from '../support/marks.js';
import {
  startRedisCluster,
  type TestRedisCluster,
  testRedisUrl,
  uniquePrefix,
} from '../support/redis.js';
import { dropKeysUnder, type RedisTarget } from '../support/redis-keys.js';
import { adminRevoke, eventually, rootLevel, toolActive } from '../support/revocation-flows.js';

const CONFIG = { defaults: { taskMaxSeconds: DEFAULTS.taskMaxSeconds } };
const LIFETIME = longestTaskSeconds(CONFIG);
const RETENTION = markRetentionSeconds(CONFIG);

/** Where the instances keep their state: `open` gives each one its own connection to it. */
interface Backend {
  open(): Promise<TokenStore>;
  cleanup(): Promise<void>;
}

const memoryBackend = (): Backend => {
  const store = new MemoryStore(STORE_LIMITS);
  return { open: async () => store, cleanup: async () => store.close() };
};

const redisBackend = (target: () => RedisTarget): Backend => {
  const prefix = uniquePrefix();
  const opened: RedisStore[] = [];
  return {
    open: async () => {
      const s = await RedisStore.connect({ ...REDIS_STORE_DEFAULTS, ...target(), prefix });
      opened.push(s);
      return s;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      await dropKeysUnder(target(), prefix);
    },
  };
};

let n = 0;
const newUser = () => `marks-${process.pid}-${++n}@example.com`;

/** The task token is refused at `url` because it was revoked (not for any other reason). */
async function refusedAsRevoked(url: string, task: string): Promise<boolean> {
  const r = await exchange(url, 'support-agent', {
    subject_token: task,
    resource: TICKETS,
    scope: 'tickets:read',
  });
  return r.status === 400 && /revoked/.test(String(r.body.error_description));
}

/** The marks verdict an instance gives a token, from its claims (as the exchange asks it). */
function verdictOn(b: RunningBaton, token: string) {
  const c = claimsOf(token);
  const subject = { sub: c.sub, client_id: c.client_id, actors: actorChain(c.act) };
  return b.baton.ctx.marks.verdict({ ...subject, stamps: c.lineage.st });
}

function describeAcrossInstances(name: string, makeBackend: () => Backend): void {
  describe(`${name}: marks across two instances`, () => {
    let backend: Backend;
    let upstream: Upstream;
    let config: ReturnType<typeof testConfig>;
    let keys: Awaited<ReturnType<typeof testKeys>>;
    let A: RunningBaton;
    let B: RunningBaton;
    let feedB: ReturnType<typeof withFeedSwitch>;

    beforeAll(async () => {
      backend = makeBackend();
      upstream = await makeUpstream();
      config = testConfig(upstream);
      keys = await testKeys(config);
      A = await startBaton(config, { store: await backend.open(), keys });
      feedB = withFeedSwitch(await backend.open());
      B = await startBaton(config, { store: feedB.store, keys });
    }, 60_000);
    afterAll(async () => {
      setClock();
      await A?.close();
      await B?.close();
      await backend?.cleanup();
    }, 60_000);
    afterEach(() => setClock());

    test('a user revoked on one instance: the other refuses the tokens of tasks started before', async () => {
      const sub = newUser();
      const l = await rootLevel(B.url, upstream, 'support-agent', sub);
      await adminRevoke(A.url, `/admin/users/${encodeURIComponent(sub)}/revoke`);
      expect(await eventually(async () => await refusedAsRevoked(B.url, l.task))).toBe(true);
      expect(await toolActive(B.url, l.tool)).toBe(false);
      // A task started afterwards is not covered.
      const after = await rootLevel(B.url, upstream, 'support-agent', sub);
      expect(await toolActive(B.url, after.tool)).toBe(true);
    });

    test('an instance started after the revocation refuses at once (its first read is a full one)', async () => {
      const sub = newUser();
      const l = await rootLevel(A.url, upstream, 'support-agent', sub);
      await adminRevoke(A.url, `/admin/users/${encodeURIComponent(sub)}/revoke`);
      const C = await startBaton(config, { store: await backend.open(), keys });
      try {
        expect(await refusedAsRevoked(C.url, l.task)).toBe(true);
        expect(await toolActive(C.url, l.tool)).toBe(false);
      } finally {
        await C.close();
      }
    });

    test('a revocation made while the other instance had lost its feed still reaches it', async () => {
      const sub = newUser();
      const l = await rootLevel(A.url, upstream, 'support-agent', sub);
      feedB.drop();
      try {
        await adminRevoke(A.url, `/admin/users/${encodeURIComponent(sub)}/revoke`);
      } finally {
        feedB.restore();
      }
      expect(await eventually(async () => await refusedAsRevoked(B.url, l.task))).toBe(true);
    });

    test('a mark one second younger than the longest task lifetime still applies; once past the retention it is forgotten', async () => {
      const sub = newUser();
      const l = await rootLevel(A.url, upstream, 'support-agent', sub);
      const r = await adminRevoke(A.url, `/admin/users/${encodeURIComponent(sub)}/revoke`);
      const markMs = Number(r.before) / 1000;
      expect(await eventually(async () => verdictOn(B, l.task) === 'revoked')).toBe(true);
      setClock(() => markMs + (LIFETIME - 1) * 1000);
      for (const b of [A, B]) {
        await b.baton.ctx.marks.refresh();
        expect(verdictOn(b, l.task)).toBe('revoked');
      }
      setClock(() => markMs + (RETENTION + 1) * 1000);
      for (const b of [A, B]) {
        await b.baton.ctx.marks.refresh();
        expect(verdictOn(b, l.task)).toBe('ok');
        expect(b.baton.ctx.marks.size).toBe(0);
      }
    });
  });
}

describeAcrossInstances('MemoryStore', memoryBackend);
describeAcrossInstances('RedisStore (standalone)', () =>
  redisBackend(() => ({ url: testRedisUrl() })),
);

describe('on a 3-node cluster', () => {
  let cluster: TestRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  describeAcrossInstances('RedisStore (cluster)', () =>
    redisBackend(() => {
      if (!cluster) throw new Error('cluster did not start');
      return { cluster: cluster.nodes };
    }),
  );
});
