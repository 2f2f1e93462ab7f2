/**
 * Seeding token trees straight into the store (scenario 6) and Redis memory per live token
 * (scenario 7). Records go in through the store's own API (`startTask`, then `recordToken` in
 * batches of at most 10,000 concurrent calls, which ioredis auto-pipelines), so what is measured
 * is exactly what Baton writes: the same keys, encodings and Lua scripts.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisStore } from '../src/store/redis/redis-store.js';
import { keys } from '../src/store/redis/keys.js';
import type { TokenRecord } from '../src/store/store.js';

export const SEED_BATCH = 10_000;

export interface SeedCast {
  issuer: string;
  tool: string;
  owner: string;
  handOffTo: string;
  sub: string;
}

export interface SeededTree {
  txn: string;
  rootJti: string;
  jtis: string[];
  seedMs: number;
}

/** Deterministic PRNG (LCG): the same tree shape on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The audit event Baton files with a tool token (src/exchange/tool-token.ts), for realistic sizes. */
export function toolTokenEvent(
  cast: SeedCast,
  txn: string,
  jti: string,
  parent: string,
  actors: string[],
  ttl: number,
): string {
  return JSON.stringify({
    type: 'token_issued',
    txn,
    act: actors,
    client: actors[0],
    sub: cast.sub,
    decision: 'allow',
    rule: `agents[${actors[0]}].tools[${cast.tool}]`,
    detail: {
      operation: 'tool_token',
      jti,
      parent,
      tool: cast.tool,
      scope: 'tickets:read tickets:write',
      ttl,
    },
    time: Date.now(),
  });
}

function taskStartEvent(cast: SeedCast, txn: string, jti: string, deadline: number): string {
  return JSON.stringify({
    type: 'task_started',
    txn,
    act: [cast.owner],
    client: cast.owner,
    sub: cast.sub,
    decision: 'allow',
    rule: `agents[${cast.owner}].taskScopes`,
    detail: { jti, scope: 'tickets:read tickets:write billing:read', deadline },
    time: Date.now(),
  });
}

/**
 * One task with `size` tokens: the task token, then tool tokens and some hand-offs (2%) under
 * random task-level tokens, up to depth 4, as an agent swarm would build it.
 */
export async function seedTree(
  store: RedisStore,
  cast: SeedCast,
  size: number,
  opts: { audit?: boolean; ttlSeconds?: number } = {},
): Promise<SeededTree> {
  const t0 = performance.now();
  const now = Math.floor(Date.now() / 1000);
  const deadline = now + (opts.ttlSeconds ?? 900);
  const txn = randomUUID();
  const rootJti = randomUUID();
  const root: TokenRecord = {
    jti: rootJti,
    txn,
    anc: [],
    client: cast.owner,
    actors: [cast.owner],
    aud: cast.issuer,
    scope: 'tickets:read tickets:write billing:read',
    exp: deadline,
    iat: now,
  };
  await store.startTask(
    {
      txn,
      owner: cast.owner,
      sub: cast.sub,
      createdAt: now,
      deadline,
      purpose: 'bench: triage the open tickets',
    },
    root,
    opts.audit ? taskStartEvent(cast, txn, rootJti, deadline) : '',
  );
  const rnd = lcg(size);
  // Task-level tokens (the root and hand-offs) a new token can derive from.
  const levels: { jti: string; anc: string[]; actors: string[] }[] = [
    { jti: rootJti, anc: [], actors: [cast.owner] },
  ];
  const jtis = [rootJti];
  let batch: Promise<number>[] = [];
  for (let i = 1; i < size; i++) {
    const parent = levels[Math.floor(rnd() * levels.length)]!;
    const jti = randomUUID();
    const anc = [parent.jti, ...parent.anc].slice(0, 4);
    const handOff = parent.anc.length < 3 && rnd() < 0.02;
    const actors = handOff
      ? [parent.actors[0] === cast.owner ? cast.handOffTo : cast.owner, ...parent.actors]
      : parent.actors;
    const rec: TokenRecord = {
      jti,
      txn,
      anc,
      client: actors[0]!,
      actors,
      aud: handOff ? cast.issuer : cast.tool,
      scope: handOff ? 'tickets:read' : 'tickets:read tickets:write',
      exp: Math.min(now + 300, deadline),
      iat: now,
    };
    if (handOff) levels.push({ jti, anc, actors });
    jtis.push(jti);
    batch.push(
      store.recordToken(
        rec,
        opts.audit ? toolTokenEvent(cast, txn, jti, parent.jti, actors, 300) : '',
      ),
    );
    if (batch.length >= SEED_BATCH) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  return { txn, rootJti, jtis, seedMs: performance.now() - t0 };
}

/** Raw Redis access for what the store does not expose: INFO memory and dropping seeded keys. */
export class RedisProbe {
  private constructor(
    readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  static async open(url: string, prefix: string): Promise<RedisProbe> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    await redis.connect();
    return new RedisProbe(redis, prefix);
  }

  /**
   * INFO memory `used_memory` less `mem_clients_normal`: what the data takes, without the client
   * query/output buffers that a burst of pipelined writes leaves behind for a while.
   */
  async usedMemory(): Promise<number> {
    const info = await this.redis.info('memory');
    const field = (name: string): number => {
      const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
      if (!m) throw new Error(`INFO memory has no ${name}`);
      return Number(m[1]);
    };
    return field('used_memory') - field('mem_clients_normal');
  }

  /** Drops every key of a task (the store would let them expire at the deadline). */
  async dropTask(txn: string): Promise<void> {
    const k = keys(this.prefix);
    await this.redis.del(k.task(txn), k.tokens(txn), k.revoked(txn), k.events(txn));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

export interface MemoryReport {
  tokens: number;
  tasks: number;
  tokens_per_task: number;
  /** Token and task records (task hash, tokens hash), per live token. */
  bytes_per_token: number;
  /** With each token's audit event in its task's stream (same script), per token. */
  bytes_per_token_with_task_audit: number;
  /** The task-stream audit events alone, per token. */
  audit_task_stream_bytes_per_token: number;
  /** The same events in the global audit stream (filed in batches), per token. */
  audit_global_stream_bytes_per_token: number;
  /** Both audit copies, per token. */
  audit_bytes_per_token: number;
}

/**
 * Redis memory per live token: `tasks` tasks of `perTask` tokens each (a task token and tool
 * tokens), seeded without audit events, then again with them; the global stream copy measured
 * on its own. used_memory deltas, taken while nothing else writes.
 */
export async function measureMemory(
  store: RedisStore,
  probe: RedisProbe,
  cast: SeedCast,
  tasks: number,
  perTask: number,
): Promise<MemoryReport> {
  const seedMany = async (audit: boolean): Promise<string[]> => {
    const txns: string[] = [];
    const running: Promise<SeededTree>[] = [];
    for (let i = 0; i < tasks; i++) {
      running.push(seedTree(store, cast, perTask, { audit }));
      if (running.length >= Math.max(1, Math.floor(SEED_BATCH / perTask)))
        txns.push(...(await Promise.all(running.splice(0))).map((t) => t.txn));
    }
    txns.push(...(await Promise.all(running)).map((t) => t.txn));
    return txns;
  };
  const n = tasks * perTask;
  // Load the scripts (Redis caches each one, ~tens of KB) and create the global stream first:
  // one-time costs that are not per token.
  const warm = await seedTree(store, cast, 2, { audit: true });
  await store.appendAudit([
    {
      txn: warm.txn,
      json: toolTokenEvent(cast, warm.txn, randomUUID(), warm.rootJti, [cast.owner], 300),
      inTaskStream: true,
    },
  ]);
  await probe.dropTask(warm.txn);
  const m0 = await probe.usedMemory();
  await seedMany(false);
  const m1 = await probe.usedMemory();
  await seedMany(true);
  const m2 = await probe.usedMemory();
  // The global stream copy of the same events (AuditLog.filed -> appendAudit, inTaskStream).
  const cast0 = randomUUID();
  const entries = Array.from({ length: n }, (_, i) => ({
    txn: cast0,
    json: toolTokenEvent(cast, cast0, randomUUID(), randomUUID(), [cast.owner], 300 + (i % 2)),
    inTaskStream: true,
  }));
  for (let i = 0; i < entries.length; i += SEED_BATCH)
    await store.appendAudit(entries.slice(i, i + SEED_BATCH));
  const m3 = await probe.usedMemory();
  const plain = (m1 - m0) / n;
  const withAudit = (m2 - m1) / n;
  const global = (m3 - m2) / n;
  return {
    tokens: n,
    tasks,
    tokens_per_task: perTask,
    bytes_per_token: plain,
    bytes_per_token_with_task_audit: withAudit,
    audit_task_stream_bytes_per_token: withAudit - plain,
    audit_global_stream_bytes_per_token: global,
    audit_bytes_per_token: withAudit - plain + global,
  };
}
