/**
 * A hung store answers in bounded time (docs/operations.md, "When the store hangs"): a real
 * redis-server paused with SIGSTOP (its connections stay open, nothing answers) under a small
 * load. Every answer comes within the request's store budget plus slack, nothing is issued
 * while it is paused, every token answered 200 is recorded, writes answered 503 are safe to
 * repeat, and service comes back by itself on SIGCONT.
 */
import { REDIS_STORE_DEFAULTS } from '../../src/config/defaults.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import {
  basic,
  claimsOf,
  completeTaskAs,
  exchange,
  introspectAs,
  makeUpstream,
  postForm,
  SECRETS,
  startBaton,
  startTaskToken,
  testConfig,
  TICKETS,
  type HttpResult,
} from '../support/fixtures.js';
import { startRedisServer, uniquePrefix } from '../support/redis.js';

const BUDGET_MS = 500;
/** Generous on a shared machine: the bound is what is proved, never the speed. */
const WITHIN_MS = BUDGET_MS + 1500;
const PAUSE_MS = 2000;
const WORKERS = 4;

interface Answer {
  sentAt: number;
  at: number;
  status: number;
  token?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('with Redis paused (SIGSTOP) under load: bounded answers, nothing issued, writes safe to repeat, recovery without restart', async () => {
  const up = await makeUpstream();
  const redis = await startRedisServer();
  const store = await RedisStore.connect({
    ...REDIS_STORE_DEFAULTS,
    url: redis.url,
    prefix: uniquePrefix(),
    commandTimeoutMs: BUDGET_MS,
  });
  const config = testConfig(up, (raw) => {
    raw.store = { requestTimeoutMs: BUDGET_MS };
  });
  const b = await startBaton(config, { store });
  const agentAuth = { authorization: basic('support-agent', SECRETS['support-agent']) };
  const revoke = (token: string) => postForm(`${b.url}/revoke`, { token }, agentAuth);
  try {
    const task = await startTaskToken(b.url, up);
    const txn = claimsOf(task).txn;
    const other = await startTaskToken(b.url, up);
    const otherTxn = claimsOf(other).txn;
    const toolOf = async (t: string) =>
      (await exchange(b.url, 'support-agent', { subject_token: t, resource: TICKETS })).body
        .access_token as string;
    const victim = await toolOf(task);
    const otherTool = await toolOf(other);

    const answers: Answer[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const sentAt = Date.now();
        const r = await exchange(b.url, 'support-agent', {
          subject_token: task,
          resource: TICKETS,
        });
        const token = typeof r.body.access_token === 'string' ? r.body.access_token : undefined;
        answers.push({ sentAt, at: Date.now(), status: r.status, ...(token ? { token } : {}) });
      }
    };
    const load = Array.from({ length: WORKERS }, worker);
    await sleep(300);

    const pausedAt = Date.now();
    redis.pause();
    const timed = async (send: () => Promise<HttpResult>) => {
      const sentAt = Date.now();
      const r = await send();
      answers.push({ sentAt, at: Date.now(), status: r.status });
      return r;
    };
    // Sent during the pause: each may still apply when Redis resumes, so the 503 says so.
    const [revokedDuring, completedDuring] = await Promise.all([
      timed(() => revoke(victim)),
      timed(() => completeTaskAs(b.url, 'support-agent', otherTxn)),
    ]);
    const readyDuring = await timed(async () => {
      const res = await fetch(`${b.url}/readyz`);
      return { status: res.status, headers: res.headers, body: {} };
    });
    await sleep(Math.max(0, PAUSE_MS - (Date.now() - pausedAt)));
    const resumedAt = Date.now();
    redis.resume();
    await sleep(700);
    running = false;
    await Promise.all(load);

    for (const r of [revokedDuring, completedDuring]) {
      expect(r.status).toBe(503);
      expect(r.body.error).toBe('temporarily_unavailable');
      expect(r.headers.get('retry-after')).toBeTruthy();
      expect(r.body.error_description).toContain(
        'the outcome is unknown; repeating the request is safe',
      );
    }
    expect(readyDuring.status).toBe(503);

    // Every answer within the budget plus slack; some were refused while paused, none issued.
    for (const a of answers) expect(a.at - a.sentAt).toBeLessThan(WITHIN_MS);
    const duringPause = answers.filter((a) => a.sentAt > pausedAt + 50 && a.at < resumedAt);
    expect(duringPause.length).toBeGreaterThan(0);
    expect(duringPause.filter((a) => a.status === 200)).toEqual([]);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    expect(answers.some((a) => a.status === 200 && a.sentAt > resumedAt)).toBe(true);

    // Every token answered 200 is recorded in the store.
    const tree = await store.getTaskTree(txn);
    const recorded = new Set(tree!.tokens.map((t) => t.jti));
    const issued = answers.filter((a) => a.token).map((a) => claimsOf(a.token!).jti);
    expect(issued.length).toBeGreaterThan(0);
    expect(issued.filter((jti) => !recorded.has(jti))).toEqual([]);

    // Repeated after the pause, both writes succeed and end in the revoked state.
    expect((await revoke(victim)).status).toBe(200);
    const completed = await completeTaskAs(b.url, 'support-agent', otherTxn);
    expect(completed.status).toBe(200);
    expect(completed.body.status).toBe('completed');
    expect(await introspectAs(b.url, 'tickets-rs', victim)).toEqual({ active: false });
    expect(await introspectAs(b.url, 'tickets-rs', otherTool)).toEqual({ active: false });

    // Recovery needs no restart.
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
    expect(
      (await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })).status,
    ).toBe(200);
  } finally {
    redis.resume();
    await b.close();
    await store.close();
    await redis.stop();
  }
}, 60_000);
