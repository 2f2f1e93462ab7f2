import { TemporarilyUnavailable } from '../errors.js';

/**
 * What the domain asks of storage. Two implementations: memory/ (embedded default) and
 * redis/ (production; standalone, Sentinel or Cluster). One contract suite runs on both.
 *
 * Layout idea (docs/revocation.md, "Cost"): everything of one task lives together (in Redis under
 * the `{txn}` hash tag), so recording a token or checking one is a single atomic round trip.
 * Revocation of a token is one mark in the task's revoked set; a token is dead when it or any of
 * its ancestors (bounded by the max depth) is marked, so revoking never touches descendants.
 */

export type TaskStatus = 'open' | 'completed' | 'revoked';
export type Outcome = 'succeeded' | 'failed' | 'cancelled';

export interface TaskRecord {
  txn: string;
  /** The agent that started the task. */
  owner: string;
  sub: string;
  purpose?: string;
  /** Epoch seconds. */
  createdAt: number;
  deadline: number;
  status: TaskStatus;
  outcome?: Outcome;
  summary?: string;
  /** Who ended it (agent id, or `admin`). */
  endedBy?: string;
  /** Store stamp (µs) when the task was created. */
  stamp: number;
}

/** What is recorded for every token before it is returned. */
export interface TokenRecord {
  jti: string;
  txn: string;
  /** Ancestors in the task, parent first. */
  anc: string[];
  client: string;
  /** Actor chain, outermost (current actor) first. */
  actors: string[];
  aud: string;
  scope: string;
  /** Epoch seconds. */
  exp: number;
  iat: number;
  /** Store stamp (µs) given when recorded; set by the store. */
  stamp?: number;
  /** Free-form extras kept with the record (e.g. the policy context for continuous authorization). */
  ctx?: Record<string, unknown>;
}

export type TokenState = 'active' | 'unknown' | 'revoked' | 'task_ended';

/** Why a record was refused (the domain turns these into `invalid_request`). */
export class StoreRejection extends Error {
  constructor(readonly reason: 'task_ended' | 'revoked' | 'unknown_task' | 'unknown_parent') {
    super(`store refused: ${reason}`);
    this.name = 'StoreRejection';
  }
}

/** A store that cannot answer: the domain turns this into 503 `temporarily_unavailable`. */
export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    super('store unavailable', { cause });
    this.name = 'StoreUnavailable';
  }
}

/** Runs a store operation; a store that cannot answer becomes 503 with `whatHappened` for the caller. */
export async function orUnavailable<T>(op: () => Promise<T>, whatHappened: string): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof StoreUnavailable)
      throw new TemporarilyUnavailable(`Baton cannot reach its store; ${whatHappened}`, e);
    throw e;
  }
}

export interface TaskTree {
  task: TaskRecord;
  tokens: TokenRecord[];
  /** jtis marked revoked in this task (a descendant of one is revoked too). */
  revoked: string[];
}

export type MarkKind = 'agent' | 'user' | 'all';

/** Cross-task revocation marks: "everything of agent X / user U / everyone, stamped before S". */
export interface Marks {
  agents: Map<string, number>;
  users: Map<string, number>;
  all: number;
}

export type { FeedEntry, FeedEvent } from '../protocol/feed.js';
import type { FeedEntry, FeedEvent } from '../protocol/feed.js';

/** An audit event serialised once by audit/; the store only files it. */
export interface AuditEntry {
  txn?: string;
  json: string;
  /** Already written to its task's stream by startTask/recordToken; goes to the global stream only. */
  inTaskStream?: boolean;
}

export interface AuditRetention {
  /** Events kept per task stream, and in the global stream. */
  taskMaxEvents: number;
  globalMaxEvents: number;
  /** Seconds a task's events outlive the task's deadline; and the global stream's max age. */
  maxAgeSeconds: number;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'used';

/** A person's decision about one call, stored with its task (the id starts with the txn). */
export interface ApprovalRecord {
  id: string;
  txn: string;
  agent: string;
  sub: string;
  act: string[];
  purpose?: string;
  tool: string;
  scope: string;
  authorization_details?: unknown[];
  /** Hash of everything the approval is bound to: task, agent, tool, scope, details. */
  binding: string;
  status: ApprovalStatus;
  /** Epoch seconds. */
  createdAt: number;
  expiresAt: number;
  decidedBy?: string;
  decidedAt?: number;
  reason?: string;
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
  /** Marks one token (and so its descendants) revoked. One write. */
  revokeToken(txn: string, jti: string): Promise<void>;
}

/** Cross-task revocation marks (agent, user, everyone). */
export interface MarkStore {
  /** Writes a cross-task mark stamped now; returns the stamp. */
  putMark(kind: MarkKind, id: string): Promise<number>;
  loadMarks(): Promise<Marks>;
}

/** The revocation feed: an append-only, trimmed log with a live subscription. */
export interface FeedStore {
  /** Appends to the revocation feed (and publishes it). */
  publish(event: FeedEvent): Promise<string>;
  /** Entries after `afterId` (exclusive), oldest first, at most `limit`. */
  readFeed(afterId: string | undefined, limit: number): Promise<FeedEntry[]>;
  /** The newest feed id ever trimmed away (events at or before it are gone), if any. */
  feedHorizon(): Promise<string | undefined>;
  /** Live feed: called for each new entry. Returns an unsubscribe function. */
  subscribe(
    onEntry: (e: FeedEntry) => void,
    onState?: (connected: boolean) => void,
  ): Promise<() => Promise<void>>;
}

/** Approvals of sensitive tool calls. */
export interface ApprovalStore {
  createApproval(rec: ApprovalRecord): Promise<void>;
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
  /** Pending approvals that have not lapsed, oldest first. */
  listApprovals(nowSec: number): Promise<ApprovalRecord[]>;
}

/** The audit trail: task streams and the global stream. */
export interface AuditStore {
  /** Files a batch of audit events (task streams and the global stream); off the request path. */
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  /** A task's events, oldest first. */
  readTaskAudit(txn: string, limit: number): Promise<{ id: string; json: string }[]>;
  /** The global stream after `afterId` (exclusive), oldest first. */
  readAudit(afterId: string | undefined, limit: number): Promise<{ id: string; json: string }[]>;
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
}

/** Everything a store implements; wired once by boot, then handed out per need. */
export interface TokenStore
  extends TaskStore,
    TokenStateStore,
    MarkStore,
    FeedStore,
    ApprovalStore,
    AuditStore,
    ReplayStore,
    StoreLifecycle {}
