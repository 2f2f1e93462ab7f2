/**
 * Scenario 6: revoking a task, and how fast the rest of the world hears of it.
 *
 * - Revoke latency: a task tree of N tokens is seeded straight into the store, then
 *   `POST /admin/tasks/{txn}/revoke` is timed (one request on a warm keep-alive connection);
 *   median of several fresh trees per size. A sample of the seeded tokens is then checked in the
 *   store to be dead (a check of correctness, not of speed).
 * - Propagation: real tokens (task start + tool token over HTTP on instance A), confirmed active on
 *   a second instance B; then the task is revoked on A and, from the moment the revoke request
 *   leaves, B's /introspect is polled until it answers inactive, while a resource server following
 *   B's revocation feed (`GET /revocations`, SSE) waits for the task's event.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RedisStore } from '../src/store/redis/redis-store.js';
import { basic, FORM, formBody } from '../test/support/index.js';
import { call } from './http.js';
import { seedTree, type RedisProbe, type SeedCast } from './seed.js';
import { median, quantile, round, sleep, withTimeout } from './stats.js';

export interface RevokeSizeReport {
  tokens: number;
  runs_ms: number[];
  median_ms: number;
  p99_ms: number;
  seed_ms_median: number;
  /** used_memory delta ÷ tokens for the first tree of this size (one big task). */
  bytes_per_token_one_task?: number;
}

export interface RevokeDeps {
  store: RedisStore;
  probe: RedisProbe;
  cast: SeedCast;
  batonUrl: string;
  adminKey: string;
}

async function adminRevoke(
  url: string,
  adminKey: string,
  txn: string,
): Promise<{ ms: number; body: Record<string, unknown> }> {
  const t0 = performance.now();
  const r = await call(`${url}/admin/tasks/${encodeURIComponent(txn)}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`revoke ${txn}: ${r.status} ${r.text.slice(0, 200)}`);
  return { ms, body: r.json() };
}

export async function revokeLatency(
  d: RevokeDeps,
  sizes: number[],
  reps: (size: number) => number,
): Promise<RevokeSizeReport[]> {
  const out: RevokeSizeReport[] = [];
  // Warm the admin route (express, the connection) so the first measured call is not a cold one.
  for (let i = 0; i < 3; i++) {
    const t = await seedTree(d.store, d.cast, 1);
    await adminRevoke(d.batonUrl, d.adminKey, t.txn);
    await d.probe.dropTask(t.txn);
  }
  for (const size of sizes) {
    const runs: number[] = [];
    const seeds: number[] = [];
    let bytesPerToken: number | undefined;
    for (let i = 0; i < reps(size); i++) {
      const before = i === 0 ? await d.probe.usedMemory() : 0;
      const tree = await seedTree(d.store, d.cast, size);
      if (i === 0) bytesPerToken = ((await d.probe.usedMemory()) - before) / size;
      seeds.push(tree.seedMs);
      // Let the seeding burst settle (Redis client buffers, this process's GC) before timing.
      await sleep(150);
      await call(`${d.batonUrl}/healthz`);
      const { ms, body } = await adminRevoke(d.batonUrl, d.adminKey, tree.txn);
      if (body.tokens_ended !== size)
        throw new Error(
          `revoke of a ${size}-token task reported ${String(body.tokens_ended)} tokens ended`,
        );
      // Correctness: a sample of the tree (and its root) is dead now.
      const sample = [
        tree.rootJti,
        ...Array.from(
          { length: Math.min(20, size - 1) },
          (_, k) => tree.jtis[1 + Math.floor(((k + 0.5) * (size - 1)) / Math.min(20, size - 1))]!,
        ),
      ];
      for (const jti of sample) {
        const state = await d.store.checkToken(tree.txn, jti, []);
        if (state !== 'task_ended') throw new Error(`token ${jti} of a revoked task is ${state}`);
      }
      runs.push(ms);
      await d.probe.dropTask(tree.txn);
    }
    out.push({
      tokens: size,
      runs_ms: runs.map((x) => round(x, 3)),
      median_ms: round(median(runs), 3),
      p99_ms: round(quantile(runs, 0.99), 3),
      seed_ms_median: round(median(seeds), 1),
      ...(bytesPerToken !== undefined ? { bytes_per_token_one_task: round(bytesPerToken, 1) } : {}),
    });
  }
  return out;
}

/** A resource server following the revocation feed over SSE; resolves waiters by task id. */
class FeedFollower {
  private req: ClientRequest | undefined;
  private res: IncomingMessage | undefined;
  private buf = '';
  private readonly waiters = new Map<string, (t: number) => void>();
  private readonly early = new Map<string, number>();
  events = 0;

  async open(url: string, authorization: string): Promise<void> {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        this.req = request(
          `${url}/revocations`,
          { headers: { authorization, accept: 'text/event-stream' } },
          (res) => {
            if (res.statusCode !== 200) {
              reject(new Error(`GET /revocations -> ${res.statusCode}`));
              res.resume();
              return;
            }
            this.res = res;
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => this.onData(chunk));
            resolve();
          },
        );
        this.req.on('error', reject);
        this.req.end();
      }),
      10_000,
      'feed subscription',
    );
  }

  private onData(chunk: string): void {
    const now = performance.now();
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (!data) continue;
      this.events++;
      try {
        const ev = JSON.parse(data.slice(6)) as { type?: string; txn?: string };
        if (ev.type === 'task' && ev.txn) {
          const w = this.waiters.get(ev.txn);
          if (w) {
            this.waiters.delete(ev.txn);
            w(now);
          } else if (this.early.size < 10_000) this.early.set(ev.txn, now);
        }
      } catch {
        /* not an event of ours */
      }
    }
  }

  /** When the event for `txn` arrived (performance.now()), within `timeoutMs`. */
  waitFor(txn: string, timeoutMs: number): Promise<number> {
    const seen = this.early.get(txn);
    if (seen !== undefined) {
      this.early.delete(txn);
      return Promise.resolve(seen);
    }
    return withTimeout(
      new Promise<number>((r) => this.waiters.set(txn, r)),
      timeoutMs,
      `feed event for task ${txn}`,
    );
  }

  close(): void {
    this.res?.destroy();
    this.req?.destroy();
  }
}

export interface PropagationDeps {
  urlA: string;
  urlB: string;
  adminKey: string;
  issuer: string;
  tool: string;
  agentAuth: string;
  rsAuth: string;
  rs: { id: string; secret: string };
  userToken(): Promise<string>;
}

export interface PropagationReport {
  revocations: number;
  revoke_ms: { p50: number; p99: number };
  second_instance_ms: { p50: number; p99: number; polls_p50: number };
  feed_ms: { p50: number; p99: number };
}

const TOKEN_EXCHANGE = {
  grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
  subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
};

async function tokenOn(url: string, auth: string, fields: Record<string, string>): Promise<string> {
  const r = await call(`${url}/token`, {
    body: formBody({ ...TOKEN_EXCHANGE, ...fields }),
    headers: { 'content-type': FORM, authorization: auth },
  });
  if (r.status !== 200) throw new Error(`/token -> ${r.status} ${r.text.slice(0, 200)}`);
  return r.json<{ access_token: string }>().access_token;
}

async function activeOn(url: string, rsAuth: string, token: string): Promise<boolean> {
  const r = await call(`${url}/introspect`, {
    body: formBody({ token }),
    headers: { 'content-type': FORM, authorization: rsAuth },
  });
  if (r.status !== 200) throw new Error(`/introspect -> ${r.status} ${r.text.slice(0, 200)}`);
  return r.json<{ active: boolean }>().active;
}

export async function propagation(d: PropagationDeps, count: number): Promise<PropagationReport> {
  const feed = new FeedFollower();
  await feed.open(d.urlB, basic(d.rs.id, d.rs.secret));
  const revoke: number[] = [];
  const seenB: number[] = [];
  const seenFeed: number[] = [];
  const polls: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const task = await tokenOn(d.urlA, d.agentAuth, {
        subject_token: await d.userToken(),
        audience: d.issuer,
      });
      const tool = await tokenOn(d.urlA, d.agentAuth, { subject_token: task, resource: d.tool });
      if (!(await activeOn(d.urlB, d.rsAuth, tool)))
        throw new Error('a fresh tool token is inactive on instance B');
      const txn = (
        JSON.parse(Buffer.from(tool.split('.')[1]!, 'base64url').toString('utf8')) as {
          txn: string;
        }
      ).txn;

      const t0 = performance.now();
      const feedAt = feed.waitFor(txn, 5_000);
      const revoked = call(`${d.urlA}/admin/tasks/${encodeURIComponent(txn)}/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${d.adminKey}` },
      }).then((r) => {
        if (r.status !== 200) throw new Error(`revoke -> ${r.status}`);
        return performance.now();
      });
      // Poll B back to back from the moment the revoke leaves: bounded in count and time.
      let n = 0;
      let inactiveAt: number | undefined;
      while (n < 20_000 && performance.now() - t0 < 5_000) {
        n++;
        if (!(await activeOn(d.urlB, d.rsAuth, tool))) {
          inactiveAt = performance.now();
          break;
        }
      }
      if (inactiveAt === undefined)
        throw new Error(`instance B still says active 5 s after revoking ${txn}`);
      revoke.push((await revoked) - t0);
      seenB.push(inactiveAt - t0);
      seenFeed.push((await feedAt) - t0);
      polls.push(n);
    }
  } finally {
    feed.close();
  }
  const pq = (xs: number[]) => ({
    p50: round(quantile(xs, 0.5), 3),
    p99: round(quantile(xs, 0.99), 3),
  });
  return {
    revocations: count,
    revoke_ms: pq(revoke),
    second_instance_ms: { ...pq(seenB), polls_p50: median(polls) },
    feed_ms: pq(seenFeed),
  };
}
