import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import {
  StoreRejection,
  StoreUnavailable,
  type FeedEntry,
  type FeedEvent,
  type MarkKind,
  type Marks,
  type Outcome,
  type TaskRecord,
  type TaskTree,
  type TokenRecord,
  type TokenState,
  type TokenStore,
  type AuditEntry,
  type AuditRetention,
  type ApprovalRecord,
} from '../store.js';
import { keys, type Keys } from './keys.js';
import * as lua from './scripts.js';
import { decodeRecord, encodeRecord, decodeTask, encodeTask } from './codec.js';

export interface RedisStoreOptions {
  url?: string;
  cluster?: ClusterNode[];
  sentinel?: { name: string; sentinels: { host: string; port: number }[]; password?: string };
  prefix?: string;
  feedMaxLength?: number;
  audit?: AuditRetention;
  /** Bound on every command, so a hung server turns into 503 instead of a hung request. */
  commandTimeoutMs?: number;
}

type Client = Redis | Cluster;

/** HMGET rec, status, lastPoll, decidedBy, reason, decidedAt -> record. */
function decodeApproval(v: (string | null)[]): ApprovalRecord {
  const [rec, status, , decidedBy, reason, decidedAt] = v;
  return {
    ...(JSON.parse(rec!) as Omit<ApprovalRecord, 'status'>),
    status: status as ApprovalRecord['status'],
    ...(decidedBy ? { decidedBy } : {}),
    ...(reason ? { reason } : {}),
    ...(decidedAt ? { decidedAt: Number(decidedAt) } : {}),
  };
}

export const DEFAULT_AUDIT_RETENTION: AuditRetention = {
  taskMaxEvents: 10_000,
  globalMaxEvents: 200_000,
  maxAgeSeconds: 7 * 24 * 3600,
};

/** Our Lua scripts as ioredis commands (EVALSHA with NOSCRIPT fallback, Cluster-aware). */
interface Scripts {
  batonStart(
    k1: string,
    k2: string,
    k3: string,
    ...argv: (string | number)[]
  ): Promise<[number, string]>;
  batonRecord(
    k1: string,
    k2: string,
    k3: string,
    k4: string,
    ...argv: (string | number)[]
  ): Promise<[number, string]>;
  batonTaskAudit(k1: string, json: string, maxlen: number, ttl: number): Promise<number>;
  batonPollApproval(k1: string, nowMs: number): Promise<(string | null)[] | null>;
  batonDecideApproval(
    k1: string,
    status: string,
    by: string,
    reason: string,
    now: number,
  ): Promise<number>;
  batonConsumeApproval(k1: string): Promise<number>;
  batonCheck(k1: string, k2: string, k3: string, ...argv: string[]): Promise<TokenState>;
  batonEnd(k1: string, k2: string, ...argv: string[]): Promise<number>;
  batonInspect(
    k1: string,
    k2: string,
    k3: string,
    ...argv: string[]
  ): Promise<[TokenState, string?]>;
  batonRevoke(k1: string, k2: string, jti: string): Promise<number>;
  batonMark(k1: string, field: string): Promise<string>;
  batonPublish(k1: string, channel: string, maxlen: number, json: string): Promise<string>;
}

function defineScripts(c: Client): void {
  c.defineCommand('batonStart', { numberOfKeys: 3, lua: lua.START_TASK });
  c.defineCommand('batonRecord', { numberOfKeys: 4, lua: lua.RECORD_TOKEN });
  c.defineCommand('batonTaskAudit', { numberOfKeys: 1, lua: lua.APPEND_TASK_AUDIT });
  c.defineCommand('batonPollApproval', { numberOfKeys: 1, lua: lua.POLL_APPROVAL });
  c.defineCommand('batonDecideApproval', { numberOfKeys: 1, lua: lua.DECIDE_APPROVAL });
  c.defineCommand('batonConsumeApproval', { numberOfKeys: 1, lua: lua.CONSUME_APPROVAL });
  c.defineCommand('batonCheck', { numberOfKeys: 3, lua: lua.CHECK_TOKEN });
  c.defineCommand('batonEnd', { numberOfKeys: 2, lua: lua.END_TASK });
  c.defineCommand('batonInspect', { numberOfKeys: 3, lua: lua.INSPECT_TOKEN });
  c.defineCommand('batonRevoke', { numberOfKeys: 2, lua: lua.REVOKE_TOKEN });
  c.defineCommand('batonMark', { numberOfKeys: 1, lua: lua.PUT_MARK });
  c.defineCommand('batonPublish', { numberOfKeys: 1, lua: lua.PUBLISH });
}

const MARK_FIELD: Record<MarkKind, (id: string) => string> = {
  agent: (id) => `a:${id}`,
  user: (id) => `u:${id}`,
  all: () => 'all',
};

/** Wraps a store call: a Redis failure becomes StoreUnavailable (503), never a guess. */
async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof StoreRejection) throw e;
    throw new StoreUnavailable(e);
  }
}

function rejectOr(result: [number, string]): number {
  if (result[0] !== 1) throw new StoreRejection(result[1] as StoreRejection['reason']);
  return Number(result[1]);
}

/** The production store: standalone Redis, Sentinel or Cluster, chosen by options. */
export class RedisStore implements TokenStore {
  private readonly k: Keys;
  private readonly feedMaxLength: number;
  private readonly audit: AuditRetention;

  private constructor(
    private readonly client: Client & Scripts,
    private readonly makeSubscriber: () => Client,
    opts: RedisStoreOptions,
  ) {
    this.k = keys(opts.prefix ?? 'baton:');
    this.feedMaxLength = opts.feedMaxLength ?? 100_000;
    this.audit = opts.audit ?? DEFAULT_AUDIT_RETENTION;
  }

  static async connect(opts: RedisStoreOptions): Promise<RedisStore> {
    const base: RedisOptions = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      commandTimeout: opts.commandTimeoutMs ?? 2000,
      enableAutoPipelining: true,
    };
    let make: () => Client;
    if (opts.cluster) {
      const nodes = opts.cluster;
      make = () =>
        new Cluster(nodes, { lazyConnect: true, redisOptions: base, enableAutoPipelining: true });
    } else if (opts.sentinel) {
      const s = opts.sentinel;
      make = () =>
        new Redis({
          ...base,
          sentinels: s.sentinels,
          name: s.name,
          ...(s.password ? { password: s.password } : {}),
        });
    } else {
      const url = opts.url ?? 'redis://127.0.0.1:6379';
      make = () => new Redis(url, base);
    }
    const client = make();
    defineScripts(client);
    // Without a listener ioredis prints every reconnect error; readiness is reported by ping().
    client.on('error', () => {});
    await client.connect();
    return new RedisStore(client as Client & Scripts, make, opts);
  }

  startTask(
    task: Omit<TaskRecord, 'stamp' | 'status'>,
    token: TokenRecord,
    auditJson = '',
  ): Promise<number> {
    const t = task.txn;
    const auditExpireAt = task.deadline + this.audit.maxAgeSeconds;
    return guarded(async () =>
      rejectOr(
        await this.client.batonStart(
          this.k.task(t),
          this.k.tokens(t),
          this.k.events(t),
          task.deadline,
          token.jti,
          encodeRecord(token),
          auditJson,
          auditExpireAt,
          this.audit.taskMaxEvents,
          ...encodeTask(task),
        ),
      ),
    );
  }

  recordToken(token: TokenRecord, auditJson = ''): Promise<number> {
    const t = token.txn;
    return guarded(async () =>
      rejectOr(
        await this.client.batonRecord(
          this.k.task(t),
          this.k.tokens(t),
          this.k.revoked(t),
          this.k.events(t),
          token.jti,
          encodeRecord(token),
          auditJson,
          this.audit.taskMaxEvents,
          this.audit.maxAgeSeconds,
          ...token.anc,
        ),
      ),
    );
  }

  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    const { taskMaxEvents, globalMaxEvents, maxAgeSeconds } = this.audit;
    // Separate commands, not one pipeline: on a Cluster the keys live in different slots;
    // auto-pipelining still sends them in one write per node.
    return guarded(async () => {
      const ops: Promise<unknown>[] = [];
      for (const e of entries) {
        if (e.txn && !e.inTaskStream)
          ops.push(
            this.client.batonTaskAudit(this.k.events(e.txn), e.json, taskMaxEvents, maxAgeSeconds),
          );
        ops.push(
          this.client.xadd(this.k.audit(), 'MAXLEN', '~', globalMaxEvents, '*', 'e', e.json),
        );
      }
      ops.push(
        this.client.xtrim(this.k.audit(), 'MINID', '~', String(Date.now() - maxAgeSeconds * 1000)),
      );
      await Promise.all(ops);
    });
  }

  readTaskAudit(txn: string, limit: number): Promise<{ id: string; json: string }[]> {
    return guarded(async () =>
      (await this.client.xrange(this.k.events(txn), '-', '+', 'COUNT', limit)).map(([id, f]) => ({
        id,
        json: f[1] ?? 'null',
      })),
    );
  }

  readAudit(afterId: string | undefined, limit: number): Promise<{ id: string; json: string }[]> {
    return guarded(async () =>
      (
        await this.client.xrange(this.k.audit(), afterId ? `(${afterId}` : '-', '+', 'COUNT', limit)
      ).map(([id, f]) => ({ id, json: f[1] ?? 'null' })),
    );
  }

  checkToken(txn: string, jti: string, anc: readonly string[]): Promise<TokenState> {
    return guarded(() =>
      this.client.batonCheck(
        this.k.task(txn),
        this.k.tokens(txn),
        this.k.revoked(txn),
        jti,
        ...anc,
      ),
    );
  }

  inspectToken(txn: string, jti: string, anc: readonly string[]) {
    return guarded(async () => {
      const [state, rec] = await this.client.batonInspect(
        this.k.task(txn),
        this.k.tokens(txn),
        this.k.revoked(txn),
        jti,
        ...anc,
      );
      const ctx = rec ? decodeRecord(txn, jti, rec).ctx : undefined;
      return { state, ...(ctx ? { ctx } : {}) };
    });
  }

  getTask(txn: string): Promise<TaskRecord | undefined> {
    return guarded(async () => decodeTask(txn, await this.client.hgetall(this.k.task(txn))));
  }

  getTaskTree(txn: string): Promise<TaskTree | undefined> {
    return guarded(async () => {
      // Three keys of one hash tag: one MULTI, one slot, one consistent view.
      const replies =
        (await this.client
          .multi()
          .hgetall(this.k.task(txn))
          .hgetall(this.k.tokens(txn))
          .smembers(this.k.revoked(txn))
          .exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed || replies.length !== 3) throw failed?.[0] ?? new Error('MULTI aborted');
      const [task, toks, rev] = replies.map(([, v]) => v);
      const t = decodeTask(txn, task as Record<string, string>);
      if (!t) return undefined;
      const tokens = Object.entries(toks as Record<string, string>).map(([jti, v]) =>
        decodeRecord(txn, jti, v),
      );
      return { task: t, tokens, revoked: rev as string[] };
    });
  }

  endTask(
    txn: string,
    status: 'completed' | 'revoked',
    by: string,
    outcome?: Outcome,
    summary?: string,
  ) {
    return guarded(async () => {
      const n = await this.client.batonEnd(
        this.k.task(txn),
        this.k.tokens(txn),
        status,
        by,
        outcome ?? '',
        summary ?? '',
      );
      if (n === -1) return undefined;
      return n === -2 ? { ended: 0, changed: false } : { ended: n, changed: true };
    });
  }

  revokeToken(txn: string, jti: string): Promise<void> {
    return guarded(async () => {
      await this.client.batonRevoke(this.k.task(txn), this.k.revoked(txn), jti);
    });
  }

  useOnce(namespace: string, id: string, expSeconds: number): Promise<boolean> {
    return guarded(
      async () =>
        (await this.client.set(
          this.k.once(namespace, id),
          '1',
          'EXAT',
          Math.ceil(expSeconds),
          'NX',
        )) === 'OK',
    );
  }

  putMark(kind: MarkKind, id: string): Promise<number> {
    return guarded(async () =>
      Number(await this.client.batonMark(this.k.marks(), MARK_FIELD[kind](id))),
    );
  }

  loadMarks(): Promise<Marks> {
    return guarded(async () => {
      const raw = await this.client.hgetall(this.k.marks());
      const marks: Marks = { agents: new Map(), users: new Map(), all: 0 };
      for (const [f, v] of Object.entries(raw)) {
        if (f === 'all') marks.all = Number(v);
        else if (f.startsWith('a:')) marks.agents.set(f.slice(2), Number(v));
        else if (f.startsWith('u:')) marks.users.set(f.slice(2), Number(v));
      }
      return marks;
    });
  }

  publish(event: FeedEvent): Promise<string> {
    return guarded(() =>
      this.client.batonPublish(
        this.k.feed(),
        this.k.channel(),
        this.feedMaxLength,
        JSON.stringify(event),
      ),
    );
  }

  readFeed(afterId: string | undefined, limit: number): Promise<FeedEntry[]> {
    return guarded(async () => {
      const rows = await this.client.xrange(
        this.k.feed(),
        afterId ? `(${afterId}` : '-',
        '+',
        'COUNT',
        limit,
      );
      return rows.map(([id, fields]) => ({
        id,
        event: JSON.parse(fields[1] ?? 'null') as FeedEvent,
      }));
    });
  }

  feedHorizon(): Promise<string | undefined> {
    return guarded(async () => {
      let info: unknown[];
      try {
        info = (await this.client.xinfo('STREAM', this.k.feed())) as unknown[];
      } catch (e) {
        if (/no such key/i.test((e as Error).message)) return undefined;
        throw e;
      }
      const i = info.indexOf('max-deleted-entry-id');
      const id = i >= 0 ? String(info[i + 1]) : '0-0';
      return id === '0-0' ? undefined : id;
    });
  }

  async subscribe(
    onEntry: (e: FeedEntry) => void,
    onState?: (connected: boolean) => void,
  ): Promise<() => Promise<void>> {
    const sub = this.makeSubscriber();
    sub.on('error', () => {});
    sub.on('message', (_ch: string, msg: string) => {
      const sp = msg.indexOf(' ');
      try {
        onEntry({ id: msg.slice(0, sp), event: JSON.parse(msg.slice(sp + 1)) as FeedEvent });
      } catch {
        /* a malformed message is not ours; ignore it */
      }
    });
    sub.on('ready', () => onState?.(true));
    sub.on('close', () => onState?.(false));
    await sub.connect();
    await sub.subscribe(this.k.channel());
    onState?.(true);
    return async () => {
      sub.disconnect();
    };
  }

  createApproval(rec: ApprovalRecord): Promise<void> {
    const { status, decidedBy, decidedAt, reason, ...fixed } = rec;
    const key = this.k.approval(rec.id);
    return guarded(async () => {
      // Kept an hour past expiry so a late poll still hears `expired_token`, not "unknown".
      await this.client
        .multi()
        .hset(key, 'rec', JSON.stringify(fixed), 'status', status)
        .expireat(key, rec.expiresAt + 3600)
        .exec();
      await this.client.zadd(this.k.approvals(), rec.expiresAt, rec.id);
    });
  }

  getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return guarded(async () => {
      const v = await this.client.hmget(
        this.k.approval(id),
        'rec',
        'status',
        'lastPoll',
        'decidedBy',
        'reason',
        'decidedAt',
      );
      return v[0] ? decodeApproval(v) : undefined;
    });
  }

  pollApproval(id: string, nowMs: number) {
    return guarded(async () => {
      const v = await this.client.batonPollApproval(this.k.approval(id), nowMs);
      return v ? { record: decodeApproval(v), lastPollMs: Number(v[2] ?? 0) } : undefined;
    });
  }

  decideApproval(
    id: string,
    status: 'approved' | 'denied',
    by: string,
    reason: string | undefined,
    nowSec: number,
  ): Promise<boolean> {
    return guarded(async () => {
      const ok =
        (await this.client.batonDecideApproval(
          this.k.approval(id),
          status,
          by,
          reason ?? '',
          nowSec,
        )) === 1;
      if (ok) await this.client.zrem(this.k.approvals(), id);
      return ok;
    });
  }

  consumeApproval(id: string): Promise<boolean> {
    return guarded(async () => (await this.client.batonConsumeApproval(this.k.approval(id))) === 1);
  }

  listApprovals(nowSec: number): Promise<ApprovalRecord[]> {
    return guarded(async () => {
      await this.client.zremrangebyscore(this.k.approvals(), '-inf', nowSec);
      const ids = await this.client.zrange(this.k.approvals(), 0, 999);
      const recs = await Promise.all(ids.map((id) => this.getApproval(id)));
      return recs
        .filter((r): r is ApprovalRecord => r?.status === 'pending' && r.expiresAt > nowSec)
        .sort((a, b) => a.createdAt - b.createdAt);
    });
  }

  async ping(): Promise<void> {
    await guarded(() => this.client.ping());
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
