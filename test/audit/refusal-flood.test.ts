import { setClock } from '../../src/clock.js';
import { exchangeToken } from '../../src/exchange/exchange.js';
import { introspect } from '../../src/introspection/introspect.js';
import { TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import {
  ADMIN_KEY as ADMIN,
  TICKETS,
  claimsOf,
  exchangeOk,
  makeUpstream,
  startBaton,
  startTaskToken,
  testConfig,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { dropKeysUnder } from '../support/redis-keys.js';

/** Refusals per client in this flood: 10,050 in all, as the reported attack sent. */
const EACH = 5_025;
const BURST = 1_000;

type Store = { kind: 'memory' } | { kind: 'redis'; url: string; prefix: string };
const VARIANTS: { name: string; store: () => Store }[] = [
  { name: 'memory', store: () => ({ kind: 'memory' }) },
  { name: 'redis', store: () => ({ kind: 'redis', url: testRedisUrl(), prefix: uniquePrefix() }) },
];

/**
 * A task's story survives a flood of others' refusals: another agent holding a copy of the
 * task token and a resource server it is not for send 10,050 refused requests; the task's
 * decisions stay, in its stream and in the global one, even with every stream bounded to 100,
 * and the refusals are aggregated per client with an exact count of those not filed.
 */
describe.each(VARIANTS)('a flood of refusals on the $name store', ({ store }) => {
  let up: Upstream;
  let b: RunningBaton;
  let storeCfg: Store;

  beforeAll(async () => {
    up = await makeUpstream();
    storeCfg = store();
    b = await startBaton(
      testConfig(up, (raw) => {
        raw.store = storeCfg;
        raw.audit = {
          taskMaxEvents: 100,
          globalMaxEvents: 100,
          taskMaxRefusals: 100,
          globalMaxRefusals: 100,
          refusalBurst: BURST,
        };
      }),
    );
  });
  afterAll(async () => {
    setClock();
    await b.close();
    if (storeCfg.kind === 'redis') await dropKeysUnder({ url: storeCfg.url }, storeCfg.prefix);
  });

  test('keeps task_started and token_issued, and counts every refusal exactly', async () => {
    const task = await startTaskToken(b.url, up);
    const { token: tool } = await exchangeOk(b.url, 'support-agent', {
      subject_token: task,
      resource: TICKETS,
    });
    const { txn } = claimsOf(task);
    const { ctx } = b.baton;
    const thief = ctx.clients.get('billing-agent')!;
    const rs = ctx.clients.get('billing-rs')!;
    // What the domain reports, per client, about this task: each must end up filed or counted.
    // (Under load a request may fail for another reason, e.g. stale marks; it still counts.)
    const reported = new Map<string, number>();
    const emit = ctx.audit.emit.bind(ctx.audit);
    ctx.audit.emit = (e) => {
      if (e.txn === txn && e.client && e.type.endsWith('_refused'))
        reported.set(e.client, (reported.get(e.client) ?? 0) + 1);
      emit(e);
    };
    const started = Date.now();
    for (let i = 0; i < EACH; i++) {
      await expect(
        exchangeToken(ctx, thief, {
          subjectToken: task,
          subjectTokenType: TOKEN_TYPE_ACCESS,
          resources: [TICKETS],
          audiences: [],
        }),
      ).rejects.toThrow();
      expect(await introspect(ctx, rs, tool)).toEqual({ active: false });
    }
    expect(Date.now() - started).toBeLessThan(60_000);

    // The refusal windows close once their time is up; then the counts are filed.
    const now = Date.now();
    setClock(() => now + 61_000);
    await ctx.audit.flush();
    setClock();

    const read = (path: string) =>
      fetch(`${b.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } }).then(
        (r) =>
          r.json() as Promise<{
            events: { type: string; client?: string; txn?: string; detail?: { count?: number } }[];
          }>,
      );
    const story = (await read(`/admin/tasks/${txn}/events`)).events;
    const types = story.map((e) => e.type);
    expect(types).toContain('task_started');
    expect(types).toContain('token_issued');
    const suppressed = story.filter((e) => e.type === 'refusals_suppressed');
    expect(reported.get('billing-agent')).toBeGreaterThan(BURST);
    expect(reported.get('billing-rs')).toBeGreaterThan(BURST);
    expect(Object.fromEntries(suppressed.map((e) => [e.client, e.detail?.count]))).toEqual({
      'billing-agent': (reported.get('billing-agent') ?? 0) - BURST,
      'billing-rs': (reported.get('billing-rs') ?? 0) - BURST,
    });

    const global = (await read('/admin/events?limit=1000')).events.filter((e) => e.txn === txn);
    expect(global.map((e) => e.type)).toEqual(
      expect.arrayContaining(['task_started', 'token_issued']),
    );
    const globalRefusals = (await read('/admin/events?stream=refusals&limit=1000')).events;
    expect(
      globalRefusals.filter((e) => e.type === 'refusals_suppressed' && e.txn === txn),
    ).toHaveLength(2);
  }, 120_000);
});
