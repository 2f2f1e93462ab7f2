import type { StoreBudget } from '../deadline.js';
import { epochSeconds } from '../../clock.js';
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
import { StoreUnavailable } from '../store.js';
import type { StoreLimits } from '../types.js';
import { MemoryApprovals } from './approvals.js';
import { MemoryAudit } from './audit.js';
import { MemoryFeed } from './feed.js';
import { MemoryMarks } from './marks.js';
import { MemoryRateLimits } from './rate-limit.js';
import { MemoryReplay } from './replay.js';
import { MemorySessions } from './sessions.js';
import { MemoryTaskIndex } from './task-index.js';
import { Stamps } from './stamps.js';
import { MemoryTasks } from './tasks.js';
import { MemoryTokenState } from './token-state.js';

/** Expired tasks, audit streams, approvals and single-use ids are dropped this often (besides lazily). */
const SWEEP_MS = 30_000;

/**
 * The embedded store: one process, no dependencies, same semantics as Redis. One part per
 * interface (tasks.ts, token-state.ts, marks.ts, feed.ts, approvals.ts, audit.ts, replay.ts);
 * this class composes them, and hands each call to its part.
 */
export class MemoryStore implements TokenStore {
  private readonly stamps = new Stamps();
  private readonly auditPart: MemoryAudit;
  private readonly tasks: MemoryTasks;
  private readonly tokenState: MemoryTokenState;
  private readonly marks = new MemoryMarks(this.stamps);
  private readonly feed: MemoryFeed;
  private readonly approvals = new MemoryApprovals();
  private readonly replay = new MemoryReplay();
  private readonly rateLimits = new MemoryRateLimits();
  private readonly taskIndex: MemoryTaskIndex;
  private readonly sessions = new MemorySessions();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(limits: StoreLimits) {
    this.auditPart = new MemoryAudit(limits.audit, (txn) => this.tasks.deadlineOf(txn));
    this.tasks = new MemoryTasks(this.stamps, this.auditPart);
    this.tokenState = new MemoryTokenState(this.tasks);
    this.taskIndex = new MemoryTaskIndex(() => this.tasks.records());
    this.feed = new MemoryFeed(limits.feedMaxLength);
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  sweep(): void {
    const now = epochSeconds();
    this.tasks.sweep(now);
    this.replay.sweep(now);
    this.rateLimits.sweep();
    this.auditPart.sweep(now);
    this.approvals.sweep(now);
    this.sessions.sweep(now);
  }

  listTaskIds(...a: Parameters<TaskIndexStore['listTaskIds']>) {
    return this.taskIndex.listTaskIds(...a);
  }
  countOpenTasks(...a: Parameters<TaskIndexStore['countOpenTasks']>) {
    return this.taskIndex.countOpenTasks(...a);
  }
  putSession(...a: Parameters<SessionStore['putSession']>) {
    return this.sessions.putSession(...a);
  }
  touchSession(...a: Parameters<SessionStore['touchSession']>) {
    return this.sessions.touchSession(...a);
  }
  deleteSession(...a: Parameters<SessionStore['deleteSession']>) {
    return this.sessions.deleteSession(...a);
  }

  startTask(...a: Parameters<TaskStore['startTask']>) {
    return this.tasks.startTask(...a);
  }
  recordToken(...a: Parameters<TaskStore['recordToken']>) {
    return this.tasks.recordToken(...a);
  }
  renewTask(...a: Parameters<TaskStore['renewTask']>) {
    return this.tasks.renewTask(...a);
  }
  getTask(...a: Parameters<TaskStore['getTask']>) {
    return this.tasks.getTask(...a);
  }
  getTaskTree(...a: Parameters<TaskStore['getTaskTree']>) {
    return this.tasks.getTaskTree(...a);
  }
  endTask(...a: Parameters<TaskStore['endTask']>) {
    return this.tasks.endTask(...a);
  }

  checkToken(...a: Parameters<TokenStateStore['checkToken']>) {
    return this.tokenState.checkToken(...a);
  }
  inspectToken(...a: Parameters<TokenStateStore['inspectToken']>) {
    return this.tokenState.inspectToken(...a);
  }
  revokeToken(...a: Parameters<TokenStateStore['revokeToken']>) {
    return this.tokenState.revokeToken(...a);
  }
  wasNotified(...a: Parameters<NoticeStore['wasNotified']>) {
    return this.tokenState.wasNotified(...a);
  }
  noteNotified(...a: Parameters<NoticeStore['noteNotified']>) {
    return this.tokenState.noteNotified(...a);
  }

  putMark(...a: Parameters<MarkStore['putMark']>) {
    return this.marks.putMark(...a);
  }
  readMarks(...a: Parameters<MarkStore['readMarks']>) {
    return this.marks.readMarks(...a);
  }

  publish(...a: Parameters<FeedStore['publish']>) {
    return this.feed.publish(...a);
  }
  readFeed(...a: Parameters<FeedStore['readFeed']>) {
    return this.feed.readFeed(...a);
  }
  feedHorizon() {
    return this.feed.feedHorizon();
  }
  feedBounds() {
    return this.feed.feedBounds();
  }
  subscribe(...a: Parameters<FeedStore['subscribe']>) {
    return this.feed.subscribe(...a);
  }

  openApproval(...a: Parameters<ApprovalStore['openApproval']>) {
    return this.approvals.openApproval(...a);
  }
  getApproval(...a: Parameters<ApprovalStore['getApproval']>) {
    return this.approvals.getApproval(...a);
  }
  pollApproval(...a: Parameters<ApprovalStore['pollApproval']>) {
    return this.approvals.pollApproval(...a);
  }
  decideApproval(...a: Parameters<ApprovalStore['decideApproval']>) {
    return this.approvals.decideApproval(...a);
  }
  consumeApproval(...a: Parameters<ApprovalStore['consumeApproval']>) {
    return this.approvals.consumeApproval(...a);
  }
  listApprovals(...a: Parameters<ApprovalStore['listApprovals']>) {
    return this.approvals.listApprovals(...a);
  }

  appendAudit(...a: Parameters<AuditStore['appendAudit']>) {
    return this.auditPart.appendAudit(...a);
  }
  readTaskAudit(...a: Parameters<AuditStore['readTaskAudit']>) {
    return this.auditPart.readTaskAudit(...a);
  }
  readAudit(...a: Parameters<AuditStore['readAudit']>) {
    return this.auditPart.readAudit(...a);
  }

  useOnce(...a: Parameters<ReplayStore['useOnce']>) {
    return this.replay.useOnce(...a);
  }
  takeBudget(...a: Parameters<RateLimitStore['takeBudget']>) {
    return this.rateLimits.takeBudget(...a);
  }

  /** Memory never waits: one request's budget has nothing to bound. */
  within(_budget: StoreBudget): this {
    return this;
  }

  /** A closed store is not ready (/readyz), as a Redis store with its connection gone. */
  async ping(): Promise<void> {
    if (this.closed) throw new StoreUnavailable(new Error('the store is closed'));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.feed.close();
  }
}
