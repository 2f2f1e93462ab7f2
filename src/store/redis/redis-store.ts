import type {
  ApprovalStore,
  AuditStore,
  FeedStore,
  MarkStore,
  NoticeStore,
  RateLimitStore,
  ReplayStore,
  SessionStore,
  TaskIndexStore,
  TaskStore,
  TokenStateStore,
  TokenStore,
} from '../store.js';
import { DEFAULTS } from '../../config/defaults.js';
import type { StoreLimits } from '../types.js';
import { RedisApprovals } from './approvals.js';
import { RedisAudit } from './audit.js';
import {
  type Client,
  defineScripts,
  guarded,
  type ScriptedClient,
  withinBudget,
} from './commands.js';
import { StoreBudget } from '../deadline.js';
import { clientFactory, connectOrExplain, type RedisConnection } from './connect.js';
import { RedisFeed } from './feed.js';
import { keys } from './keys.js';
import { RedisMarks } from './marks.js';
import { RedisRateLimits } from './rate-limit.js';
import { RedisReplay } from './replay.js';
import { RedisSessions } from './sessions.js';
import { RedisTaskIndex } from './task-index.js';
import { RedisTasks } from './tasks.js';
import { RedisTokenState } from './token-state.js';

export type { RedisConnection } from './connect.js';

export type RedisStoreOptions = RedisConnection &
  StoreLimits & {
    /** Put before every key (src/store/redis/keys.ts), so deployments can share a server. */
    prefix: string;
    /** Bound on every command, so a hung server turns into 503 instead of a hung request. */
    commandTimeoutMs: number;
    /** Bound on ping() (readiness), which has a connection of its own. */
    pingTimeoutMs: number;
    /** Shards of each hour of the task index (store.taskIndexShards). */
    taskIndexShards?: number;
  };

/**
 * The production store: standalone Redis, Sentinel or Cluster, chosen by options. One part per
 * interface (tasks.ts, token-state.ts, marks.ts, feed.ts, approvals.ts, audit.ts, replay.ts),
 * all on one client; this class composes them and hands each call to its part.
 */
export class RedisStore implements TokenStore {
  private readonly tasks: RedisTasks;
  private readonly tokenState: RedisTokenState;
  private readonly marks: RedisMarks;
  private readonly feed: RedisFeed;
  private readonly approvals: RedisApprovals;
  private readonly auditPart: RedisAudit;
  private readonly replay: RedisReplay;
  private readonly rateLimits: RedisRateLimits;
  private readonly taskIndex: RedisTaskIndex;
  private readonly sessions: RedisSessions;
  /** Set only on a view made by within(): the budget of the request it serves. */
  private budget: StoreBudget | undefined = undefined;

  private constructor(
    private readonly client: ScriptedClient,
    private readonly pinger: Client,
    makeSubscriber: () => Client,
    private readonly opts: RedisStoreOptions,
  ) {
    const k = keys(opts.prefix);
    this.tasks = new RedisTasks(client, k, opts.audit);
    this.tokenState = new RedisTokenState(client, k);
    this.marks = new RedisMarks(client, k);
    this.feed = new RedisFeed(client, k, opts.feedMaxLength, makeSubscriber);
    this.approvals = new RedisApprovals(client, k);
    this.auditPart = new RedisAudit(client, k, opts.audit);
    this.replay = new RedisReplay(client, k);
    this.rateLimits = new RedisRateLimits(client, k);
    this.taskIndex = new RedisTaskIndex(
      client,
      k,
      opts.taskIndexShards ?? DEFAULTS.taskIndexShards,
    );
    this.sessions = new RedisSessions(client, k);
  }

  static async connect(opts: RedisStoreOptions): Promise<RedisStore> {
    const make = clientFactory(opts, opts.commandTimeoutMs);
    const client = defineScripts(make());
    // Without a listener ioredis prints every reconnect error; readiness is reported by ping().
    client.on('error', () => {});
    await connectOrExplain(client, opts);
    // Readiness has its own connection, so its PING never waits behind hung commands.
    const pinger = make();
    pinger.on('error', () => {});
    try {
      await connectOrExplain(pinger, opts);
    } catch (e) {
      client.disconnect();
      throw e;
    }
    return new RedisStore(client, pinger, make, opts);
  }

  /**
   * This store as one request uses it: every call spends `budget` (src/store/deadline.ts). A view
   * shares everything with this store (the prototype chain; no state is written through it).
   */
  within(budget: StoreBudget): this {
    // A plain assignment, not a property descriptor: V8 keeps the view a fast object.
    const view = Object.create(this) as { budget: StoreBudget | undefined };
    view.budget = budget;
    return view as unknown as this;
  }

  /** One call of the request this view serves, within its budget. */
  private g<T>(op: () => Promise<T>): Promise<T> {
    return withinBudget(this.budget, op);
  }

  /** The task-start script and the index write go out together: one round trip of latency. */
  async startTask(...a: Parameters<TaskStore['startTask']>) {
    const [stamp] = await Promise.all([
      this.g(() => this.tasks.startTask(...a)),
      this.g(() => this.taskIndex.writeStart(a[0])),
    ]);
    return stamp;
  }
  recordToken(...a: Parameters<TaskStore['recordToken']>) {
    return this.g(() => this.tasks.recordToken(...a));
  }
  /** A renewed task stays listed and open in the index until its new deadline. */
  async renewTask(...a: Parameters<TaskStore['renewTask']>) {
    const stamp = await this.g(() => this.tasks.renewTask(...a));
    const task = await this.g(() => this.tasks.getTask(a[0].txn));
    if (task) await this.g(() => this.taskIndex.writeStart(task));
    return stamp;
  }
  getTask(...a: Parameters<TaskStore['getTask']>) {
    return this.g(() => this.tasks.getTask(...a));
  }
  getTaskTree(...a: Parameters<TaskStore['getTaskTree']>) {
    return this.g(() => this.tasks.getTaskTree(...a));
  }
  async endTask(...a: Parameters<TaskStore['endTask']>) {
    const [txn] = a;
    const [r, task] = await Promise.all([
      this.g(() => this.tasks.endTask(...a)),
      this.g(() => this.tasks.getTask(txn)),
    ]);
    if (r?.changed && task) await this.g(() => this.taskIndex.noteEnded(txn, task.createdAt));
    return r;
  }

  listTaskIds(...a: Parameters<TaskIndexStore['listTaskIds']>) {
    return this.g(() => this.taskIndex.listTaskIds(...a));
  }
  countOpenTasks(...a: Parameters<TaskIndexStore['countOpenTasks']>) {
    return this.g(() => this.taskIndex.countOpenTasks(...a));
  }
  putSession(...a: Parameters<SessionStore['putSession']>) {
    return this.g(() => this.sessions.putSession(...a));
  }
  touchSession(...a: Parameters<SessionStore['touchSession']>) {
    return this.g(() => this.sessions.touchSession(...a));
  }
  deleteSession(...a: Parameters<SessionStore['deleteSession']>) {
    return this.g(() => this.sessions.deleteSession(...a));
  }

  checkToken(...a: Parameters<TokenStateStore['checkToken']>) {
    return this.g(() => this.tokenState.checkToken(...a));
  }
  inspectToken(...a: Parameters<TokenStateStore['inspectToken']>) {
    return this.g(() => this.tokenState.inspectToken(...a));
  }
  revokeToken(...a: Parameters<TokenStateStore['revokeToken']>) {
    return this.g(() => this.tokenState.revokeToken(...a));
  }
  wasNotified(...a: Parameters<NoticeStore['wasNotified']>) {
    return this.g(() => this.tokenState.wasNotified(...a));
  }
  noteNotified(...a: Parameters<NoticeStore['noteNotified']>) {
    return this.g(() => this.tokenState.noteNotified(...a));
  }

  putMark(...a: Parameters<MarkStore['putMark']>) {
    return this.g(() => this.marks.putMark(...a));
  }
  readMarks(...a: Parameters<MarkStore['readMarks']>) {
    return this.g(() => this.marks.readMarks(...a));
  }

  publish(...a: Parameters<FeedStore['publish']>) {
    return this.g(() => this.feed.publish(...a));
  }
  readFeed(...a: Parameters<FeedStore['readFeed']>) {
    return this.g(() => this.feed.readFeed(...a));
  }
  feedHorizon() {
    return this.g(() => this.feed.feedHorizon());
  }
  feedBounds() {
    return this.g(() => this.feed.feedBounds());
  }
  subscribe(...a: Parameters<FeedStore['subscribe']>) {
    return this.feed.subscribe(...a);
  }

  openApproval(...a: Parameters<ApprovalStore['openApproval']>) {
    return this.g(() => this.approvals.openApproval(...a));
  }
  getApproval(...a: Parameters<ApprovalStore['getApproval']>) {
    return this.g(() => this.approvals.getApproval(...a));
  }
  pollApproval(...a: Parameters<ApprovalStore['pollApproval']>) {
    return this.g(() => this.approvals.pollApproval(...a));
  }
  decideApproval(...a: Parameters<ApprovalStore['decideApproval']>) {
    return this.g(() => this.approvals.decideApproval(...a));
  }
  consumeApproval(...a: Parameters<ApprovalStore['consumeApproval']>) {
    return this.g(() => this.approvals.consumeApproval(...a));
  }
  listApprovals(...a: Parameters<ApprovalStore['listApprovals']>) {
    return this.g(() => this.approvals.listApprovals(...a));
  }

  appendAudit(...a: Parameters<AuditStore['appendAudit']>) {
    return this.g(() => this.auditPart.appendAudit(...a));
  }
  readTaskAudit(...a: Parameters<AuditStore['readTaskAudit']>) {
    return this.g(() => this.auditPart.readTaskAudit(...a));
  }
  readAudit(...a: Parameters<AuditStore['readAudit']>) {
    return this.g(() => this.auditPart.readAudit(...a));
  }

  useOnce(...a: Parameters<ReplayStore['useOnce']>) {
    return this.g(() => this.replay.useOnce(...a));
  }
  takeBudget(...a: Parameters<RateLimitStore['takeBudget']>) {
    return this.g(() => this.rateLimits.takeBudget(...a));
  }

  /** PING on the readiness connection, within its own timeout whatever the request's budget. */
  async ping(): Promise<void> {
    await withinBudget(new StoreBudget(this.opts.pingTimeoutMs), () =>
      guarded(() => this.pinger.ping()),
    );
  }

  async close(): Promise<void> {
    this.feed.close();
    this.client.disconnect();
    this.pinger.disconnect();
  }
}
