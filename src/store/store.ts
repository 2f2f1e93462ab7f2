import { TemporarilyUnavailable } from '../errors.js';
import type { StoreBudget } from './deadline.js';
import type { FeedEntry, FeedEvent } from '../protocol/feed.js';
import type {
  ApprovalBounds,
  ApprovalPage,
  ApprovalRecord,
  OpenedApproval,
  AuditEntry,
  SessionRecord,
  TaskIndexPage,
  AuditStream,
  MarkCursor,
  MarkKind,
  MarkPage,
  MarkReadOptions,
  Outcome,
  TaskRecord,
  TaskTree,
  TokenRecord,
  TokenState,
} from './types.js';

export type { FeedEntry, FeedEvent } from '../protocol/feed.js';
export * from './types.js';

/**
 * What the domain asks of storage. Two implementations: memory/ (embedded default) and
 * redis/ (production; standalone, Sentinel or Cluster). One contract suite runs on both.
 *
 * Layout (docs/revocation.md, "Cost"): everything of one task lives together (in Redis under the `{txn}` hash tag), so
 * recording a token or checking one is a single atomic round trip. Revocation of a token is one
 * mark in the task's revoked set; a token is dead when it or any of its ancestors (bounded by the
 * max depth) is marked, so revoking never touches descendants.
 */

/** Why a record was refused (the domain turns these into `invalid_request`). */
export class StoreRejection extends Error {
  constructor(
    readonly reason: 'task_ended' | 'revoked' | 'unknown_task' | 'unknown_parent' | 'not_extended',
  ) {
    super(`store refused: ${reason}`);
    this.name = 'StoreRejection';
  }
}

/**
 * A store that cannot answer (down, or past the request's deadline). It is itself a 503
 * `temporarily_unavailable`, so every route that touches the store answers 503 through the one
 * error mapping, wherever the call is; orUnavailable() adds what happened, where that is known.
 */
export class StoreUnavailable extends TemporarilyUnavailable {
  constructor(cause: unknown) {
    super('Baton cannot reach its store; try again shortly', { cause });
    this.name = 'StoreUnavailable';
  }
}

/** Runs a store operation; a store that cannot answer becomes 503 with `whatHappened` for the caller. */
export async function orUnavailable<T>(op: () => Promise<T>, whatHappened: string): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof StoreUnavailable)
      throw new TemporarilyUnavailable(`Baton cannot reach its store; ${whatHappened}`, {
        cause: e,
      });
    throw e;
  }
}

/*
 * Storage per need (fosite's shape): each consumer takes only the part it uses, and each
 * store (memory/, redis/) implements them all. `TokenStore` is their composition.
 */

/** Tasks and the tokens recorded in them: the exchange's and completion's storage. */
export interface TaskStore {
  /**
   * Creates the task and records its first token, atomically, filing `auditJson` in the
   * task's event stream in the same step. Returns the stamp.
   */
  startTask(
    task: Omit<TaskRecord, 'stamp' | 'status'>,
    token: TokenRecord,
    auditJson?: string,
  ): Promise<number>;
  /**
   * Records a token derived inside a task, atomically refusing when the task is not open or any
   * of `token.anc` is revoked, and files `auditJson` in the task's stream in the same step.
   * Returns the stamp. Throws StoreRejection / StoreUnavailable.
   */
  recordToken(token: TokenRecord, auditJson?: string): Promise<number>;
  /**
   * Renewal (docs/endpoints.md, "POST /tasks/{txn}/renew"): in one atomic step, refuses as
   * recordToken does, refuses (`not_extended`) unless `deadline` lies past the task's current
   * deadline, then moves the deadline, extends every key of the task to it (the audit stream to it
   * plus its max age) and records the renewed task token. Returns the stamp.
   */
  renewTask(token: TokenRecord, deadline: number, auditJson?: string): Promise<number>;
  getTask(txn: string): Promise<TaskRecord | undefined>;
  getTaskTree(txn: string): Promise<TaskTree | undefined>;
  /**
   * Ends an open task: every token of it is dead from now on. Returns the number of tokens
   * recorded for the task (O(1); it includes any already expired or revoked) and whether this
   * call changed it (false when already ended: idempotent); undefined for an unknown task.
   */
  endTask(
    txn: string,
    status: 'completed' | 'revoked',
    by: string,
    outcome?: Outcome,
    summary?: string,
  ): Promise<{ ended: number; changed: boolean } | undefined>;
}

/** The state of one recorded token: introspection's and the exchange's liveness check. */
export interface TokenStateStore {
  /** One round trip: is this token recorded, its lineage unrevoked and its task open? */
  checkToken(txn: string, jti: string, anc: readonly string[]): Promise<TokenState>;
  /** As checkToken, and the record's `ctx` when active (continuous authorization), same round trip. */
  inspectToken(
    txn: string,
    jti: string,
    anc: readonly string[],
  ): Promise<{ state: TokenState; ctx?: Record<string, unknown> }>;
  /**
   * Marks one token (and so its descendants) revoked. One write. `changed` is false when it was
   * already revoked; undefined when its task is gone (its tokens are dead by their `exp`).
   */
  revokeToken(txn: string, jti: string): Promise<{ changed: boolean } | undefined>;
}

/**
 * Which revocations reached the feed. Kept with the task (same hash tag, same expiry), noted
 * after the feed append: a repeated revocation that changed nothing re-publishes only when the
 * first publish never went out, so repeats cannot flood the feed and a lost publish is healed.
 */
export interface NoticeStore {
  /** True once `noteNotified` was called for the task's end (no `jti`) or for one token. */
  wasNotified(txn: string, jti?: string): Promise<boolean>;
  noteNotified(txn: string, jti?: string): Promise<void>;
}

/** Cross-task revocation marks (agent, user, everyone). */
export interface MarkStore {
  /** Writes a cross-task mark stamped now; returns the stamp. */
  putMark(kind: MarkKind, id: string): Promise<number>;
  /**
   * Live marks stamped at or after the cursor (all live marks without one), oldest first, at
   * most `limit`; first removes up to `limit` marks older than `maxAgeSeconds`. Each call is
   * bounded, so a caller pages with `next` while `more`.
   */
  readMarks(after: MarkCursor | undefined, opts: MarkReadOptions): Promise<MarkPage>;
}

/** What a feed holds: a cursor is one of its positions when it lies in [first, newest]. */
export interface FeedBounds {
  /** The newest id ever appended (undefined: nothing ever was). */
  newest?: string;
  /** The oldest id still kept. */
  first?: string;
  /** The newest id trimmed away (as feedHorizon). */
  horizon?: string;
}

/** The revocation feed: an append-only, trimmed log with a live subscription. */
export interface FeedStore {
  /** Appends to the revocation feed (and publishes it). */
  publish(event: FeedEvent): Promise<string>;
  /** Entries after `afterId` (exclusive), oldest first, at most `limit`. */
  readFeed(afterId: string | undefined, limit: number): Promise<FeedEntry[]>;
  /** The newest feed id ever trimmed away (events at or before it are gone), if any. */
  feedHorizon(): Promise<string | undefined>;
  /** What the feed holds now, in one read: enough to tell whether a cursor is one of its ids. */
  feedBounds(): Promise<FeedBounds>;
  /** Live feed: called for each new entry. Returns an unsubscribe function. */
  subscribe(
    onEntry: (e: FeedEntry) => void,
    onState?: (connected: boolean) => void,
  ): Promise<() => Promise<void>>;
}

/** Approvals of sensitive tool calls. */
export interface ApprovalStore {
  /**
   * Opens a pending approval for `rec.binding`, atomically: the one already pending for the
   * same binding if there is one (idempotent: a repeated request makes no new approval), else
   * `rec`, unless its task or its agent already holds `bounds` pending approvals.
   */
  openApproval(
    rec: ApprovalRecord,
    bounds: ApprovalBounds,
    nowSec: number,
  ): Promise<OpenedApproval>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  /** Notes a poll and returns the record with the previous poll time (ms, 0 if none), atomically. */
  pollApproval(
    id: string,
    nowMs: number,
  ): Promise<{ record: ApprovalRecord; lastPollMs: number } | undefined>;
  /** pending -> approved | denied. False when it was not pending. */
  decideApproval(
    id: string,
    status: 'approved' | 'denied',
    by: string,
    reason: string | undefined,
    nowSec: number,
  ): Promise<boolean>;
  /** approved -> used, once. False when it was not approved (or already used). */
  consumeApproval(id: string): Promise<boolean>;
  /**
   * Pending approvals that have not lapsed, by expiry (so by creation) then id: at most `limit`
   * after the opaque `cursor`, and `next` when more may follow.
   */
  listApprovals(nowSec: number, cursor: string | undefined, limit: number): Promise<ApprovalPage>;
}

/** The audit trail: task streams and the global stream. */
export interface AuditStore {
  /** Files a batch of audit events (task streams and the global stream); off the request path. */
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  /** One of a task's streams, oldest first. */
  readTaskAudit(
    txn: string,
    limit: number,
    stream: AuditStream,
  ): Promise<{ id: string; json: string }[]>;
  /** One global stream after `afterId` (exclusive), oldest first. */
  readAudit(
    afterId: string | undefined,
    limit: number,
    stream: AuditStream,
  ): Promise<{ id: string; json: string }[]>;
}

/**
 * The task index the admin API lists tasks from (docs/architecture.md, "The task index"):
 * written by startTask, in the same round trip; entries live until the task's deadline.
 * Time-bucketed by the hour of the task's start and sharded within the hour, so on a Cluster
 * no key takes every task start.
 */
export interface TaskIndexStore {
  /**
   * Ids of tasks started at or after `sinceSec`, newest start first (ties by id), at most
   * `limit` after the opaque `cursor`; `next` when more may follow. Tasks past their deadline
   * may still be listed (their records are gone: callers skip them).
   */
  listTaskIds(sinceSec: number, cursor: string | undefined, limit: number): Promise<TaskIndexPage>;
  /** Tasks open now (started at or after `sinceSec`, not ended, before their deadline). */
  countOpenTasks(sinceSec: number): Promise<number>;
}

/**
 * Console sessions, shared by every instance. A session has an idle and an absolute bound: it
 * ends at `expiresAt`, or when unused for `idleSeconds` (each use moves the idle end).
 */
export interface SessionStore {
  putSession(rec: SessionRecord, idleSeconds: number): Promise<void>;
  /**
   * The session while it lives, its use noted (`lastSeenAt` = `nowSec`, idle end moved), in one
   * step; undefined when unknown, idle too long or past its absolute end.
   */
  touchSession(id: string, nowSec: number, idleSeconds: number): Promise<SessionRecord | undefined>;
  /** Ends a session (logout, server-side revocation). True when it existed. */
  deleteSession(id: string): Promise<boolean>;
}

/** Single-use ids (client-assertion `jti`s, RFC 7523 §3; DPoP proof `jti`s). */
export interface ReplayStore {
  /** True the first time only within `expSeconds`. */
  useOnce(namespace: string, id: string, expSeconds: number): Promise<boolean>;
}

/** Health and shutdown. */
export interface StoreLifecycle {
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * This store as one request uses it: all its calls spend one budget (src/store/deadline.ts).
   * Past it, StoreUnavailable. A store that never waits returns itself.
   */
  within(budget: StoreBudget): this;
}

/** Everything a store implements; wired once by boot, then handed out per need. */
/** What one take from a shared rate-limit budget found (src/limits/). */
export interface BudgetTake {
  /** Points consumed in the current window, this take included. */
  consumed: number;
  /** Milliseconds until the window ends and the count starts again. */
  msBeforeReset: number;
}

/**
 * Rate-limit budgets shared by every instance on the store: fixed windows, one counter per key.
 * On Redis each key is its own hash tag, apart from every task's `{txn}` slot.
 */
export interface RateLimitStore {
  /** Adds `points` to `key`'s count in its current window of `windowSeconds`; never refuses. */
  takeBudget(key: string, points: number, windowSeconds: number): Promise<BudgetTake>;
}

export interface TokenStore
  extends TaskStore,
    RateLimitStore,
    TokenStateStore,
    MarkStore,
    FeedStore,
    NoticeStore,
    ApprovalStore,
    AuditStore,
    ReplayStore,
    TaskIndexStore,
    SessionStore,
    StoreLifecycle {}
