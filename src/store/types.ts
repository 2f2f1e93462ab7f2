/**
 * The records storage keeps, shared by every store interface (src/store/store.ts) and both
 * implementations. Times are epoch seconds; store stamps are epoch microseconds.
 */

export type { ApprovalStatus, TaskStatus } from '../protocol/admin-api.js';
import type { ApprovalStatus, TaskStatus } from '../protocol/admin-api.js';
export type Outcome = 'succeeded' | 'failed' | 'cancelled';

export interface TaskRecord {
  txn: string;
  /** The agent that started the task. */
  owner: string;
  /** RFC 9449: the thumbprint of the key the task was started bound to; completing it needs a proof by it. */
  jkt?: string;
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

/** One cross-task mark as the store keeps it: who, and the stamp (µs) it covers up to. */
export interface MarkEntry {
  kind: MarkKind;
  id: string;
  stamp: number;
}

/**
 * Where an incremental read of the marks stands: the stamp of the newest mark read, and how
 * many marks with exactly that stamp were read (stamps of new marks only grow, but marks
 * written some other way may share one).
 */
export interface MarkCursor {
  stamp: number;
  seen: number;
}

/** One bounded read of the marks (src/store/store.ts, `readMarks`). */
export interface MarkPage {
  /** Live marks from the cursor on, oldest first, at most `limit`. */
  marks: MarkEntry[];
  /** Pass back to read on from there. */
  next: MarkCursor;
  /** More may follow at once: the page was full, or expired marks are still being removed. */
  more: boolean;
  /**
   * Names this generation of the store's marks. When it changes, what was read before is no
   * longer a prefix of what the store holds (its data was lost or replaced): read all again.
   */
  epoch: string;
}

/** How a read is bounded: marks per call, and the age past which a mark is expired. */
export interface MarkReadOptions {
  limit: number;
  maxAgeSeconds: number;
}

/** An audit event serialised once by audit/; the store only files it. */
export interface AuditEntry {
  txn?: string;
  json: string;
  /** Already written to its task's stream by startTask/recordToken; goes to the global stream only. */
  inTaskStream?: boolean;
  /** A refusal: filed in the refusal streams (task and global), never among the decisions. */
  refusal?: boolean;
}

/** The two streams of a task and of the global trail: its decisions, and others' refusals. */
export type AuditStream = 'decisions' | 'refusals';

export interface AuditRetention {
  /** Events kept per task stream, and in the global stream. */
  taskMaxEvents: number;
  globalMaxEvents: number;
  /** Seconds a task's events outlive the task's deadline; and the global stream's max age. */
  maxAgeSeconds: number;
  /** Refusals kept per task and globally, apart from the decisions (so they never evict them). */
  taskMaxRefusals: number;
  globalMaxRefusals: number;
}

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

/** Pending approvals one task, and one agent, may hold at once. */
export interface ApprovalBounds {
  perTask: number;
  perAgent: number;
}

/**
 * What opening an approval did: created `record`, found it already pending for the same
 * binding, or refused because the task or agent is at its bound (`retryAfter`: seconds until
 * the first of its pending approvals lapses).
 */
export type OpenedApproval =
  | { kind: 'created' | 'existing'; record: ApprovalRecord }
  | { kind: 'refused'; bound: 'task' | 'agent'; retryAfter: number };

export interface ApprovalPage {
  approvals: ApprovalRecord[];
  next?: string;
}

/**
 * Where a pending approval sits in the admin list: its expiry (zero-padded, so text order is
 * time order) then its id. Cursors are this, base64url-encoded.
 */
export const pendingPosition = (rec: Pick<ApprovalRecord, 'expiresAt' | 'id'>): string =>
  `${String(rec.expiresAt).padStart(12, '0')}|${rec.id}`;

/** What a store is sized by; boot passes the configured values (defaults: src/config/defaults.ts). */
export interface StoreLimits {
  /** Feed entries kept for catch-up after a reconnect. */
  feedMaxLength: number;
  audit: AuditRetention;
}

/** An approval outlives its expiry by this much, so a late poll still hears `expired_token`. */
export const APPROVAL_KEPT_AFTER_EXPIRY_SECONDS = 3600;

/**
 * One page of the task index (TaskIndexStore): task ids, newest start first, and the opaque
 * cursor of the next page when more may follow.
 */
export interface TaskIndexPage {
  txns: string[];
  next?: string;
}

/**
 * Where a task sits in the index: its start (zero-padded, so text order is time order) then its
 * id. Cursors are this, base64url-encoded (as pendingPosition for approvals).
 */
export const taskPosition = (task: Pick<TaskRecord, 'createdAt' | 'txn'>): string =>
  `${String(task.createdAt).padStart(12, '0')}|${task.txn}`;

/** The cursor of the index page that follows `task`. */
export const taskCursor = (task: Pick<TaskRecord, 'createdAt' | 'txn'>): string =>
  Buffer.from(taskPosition(task), 'utf8').toString('base64url');

/** The position a cursor stands for. */
export const taskCursorPosition = (cursor: string): string =>
  Buffer.from(cursor, 'base64url').toString('utf8');

/** The hour bucket a task's index entries live in (by its start). */
export const taskIndexHour = (createdAtSec: number): number => Math.floor(createdAtSec / 3600);

/** The index shard of a task: FNV-1a of its id, so one hour's writes spread over the shards. */
export function taskIndexShard(txn: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < txn.length; i++) h = Math.imul(h ^ txn.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}

export type AdminRole = 'viewer' | 'approver' | 'admin';

/** A console login, held in the store so any instance serves it (src/admin/sessions.ts). */
export interface SessionRecord {
  /** SHA-256 of the session cookie's secret, base64url: the store never holds the cookie itself. */
  id: string;
  /** Who logged in (the IdP's `sub`, or the admin key's name) and how. */
  admin: string;
  role: AdminRole;
  via: 'oidc' | 'key';
  /** Sent back in the `X-CSRF-Token` header on every state-changing request. */
  csrf: string;
  /** Epoch seconds: the login, the last use, and the absolute end. */
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}
