import { NotFound } from '../errors.js';
import type { AuditLog } from '../audit/log.js';
import {
  orUnavailable,
  type FeedEvent,
  type FeedStore,
  type MarkStore,
  type NoticeStore,
  type Outcome,
  type TaskStore,
  type TokenStateStore,
} from '../store/store.js';
import { actorChain, type BatonClaims } from '../tokens/claims.js';
import type { MarkCache } from './marks.js';

/** What revocation uses: the task, token, mark and feed stores, the local marks, the audit. */
export interface RevocationDeps {
  store: TaskStore & TokenStateStore & MarkStore & FeedStore & NoticeStore;
  marks: Pick<MarkCache, 'apply'>;
  audit: Pick<AuditLog, 'emit'>;
}

/**
 * Every revocation is a constant number of writes whatever the number of tokens it kills:
 * one state write (a task status, one jti in the task's revoked set, or one cross-task mark),
 * then one feed append + publish. The local mark cache is updated at once, so this instance
 * never waits for its own pub/sub echo.
 *
 * A write that timed out may still run when the store answers again (it is already on its way),
 * so a 503 cannot say nothing happened. Every write here is idempotent (a set member, a task
 * status that only leaves `open`, a mark stamped now), so the caller may simply repeat it.
 */
export const write = <T>(op: () => Promise<T>): Promise<T> =>
  orUnavailable(op, 'the outcome is unknown; repeating the request is safe');

async function announce(
  ctx: RevocationDeps,
  event: FeedEvent,
  notice?: { txn: string; jti?: string },
): Promise<void> {
  ctx.marks.apply({ event });
  // The state write already took effect for every instance (they read the store); the feed is
  // for resource servers checking locally, and for the marks of other instances.
  await orUnavailable(
    () => ctx.store.publish(event),
    'the revocation took effect but the feed was not notified; repeat the request to notify it',
  );
  // Noted after the append, so a publish that failed is re-sent by a repeat. A note that fails
  // costs one duplicate event on a repeat, never a lost one: not worth failing the request.
  if (notice) await ctx.store.noteNotified(notice.txn, notice.jti).catch(() => undefined);
}

/**
 * A revocation that changed nothing publishes only if its first publish never went out: so
 * repeats cannot flood the feed (and push real revocations out of catch-up), yet repeating a
 * request answered "the feed was not notified" does notify it.
 */
async function needsNotice(
  ctx: RevocationDeps,
  changed: boolean,
  txn: string,
  jti?: string,
): Promise<boolean> {
  return changed || !(await write(() => ctx.store.wasNotified(txn, jti)));
}

export interface TaskEnded {
  txn: string;
  status: 'completed' | 'revoked';
  /** Tokens recorded for the task, all now inactive. */
  tokens: number;
  alreadyEnded: boolean;
  /** The outcome recorded (the first completion's; a repeat does not change it). */
  outcome?: Outcome;
}

const taskEventType = { completed: 'task_completed', revoked: 'task_revoked' } as const;

export async function endTask(
  ctx: RevocationDeps,
  txn: string,
  status: 'completed' | 'revoked',
  by: string,
  outcome?: Outcome,
  summary?: string,
): Promise<TaskEnded> {
  const r = await write(() => ctx.store.endTask(txn, status, by, outcome, summary));
  if (!r) throw new NotFound('no such task');
  const task = await write(() => ctx.store.getTask(txn));
  if (r.changed) {
    // The outcome: how the task ended, and who ended it.
    ctx.audit.emit({
      type: taskEventType[status],
      txn,
      ...(task ? { sub: task.sub, act: [task.owner] } : {}),
      client: by,
      decision: 'done',
      detail: { tokens: r.ended, ...(outcome ? { outcome } : {}), ...(summary ? { summary } : {}) },
    });
  }
  // Filed before the publish: a publish that fails (and is repeated) does not lose the outcome.
  if (await needsNotice(ctx, r.changed, txn)) {
    // A repeat announces the status recorded first, not the one it asked for.
    const reason = (task?.status ?? status) as TaskEnded['status'];
    await announce(ctx, { type: 'task', txn, stamp: Date.now() * 1000, reason }, { txn });
  }
  return {
    txn,
    status: (task?.status ?? status) as TaskEnded['status'],
    tokens: r.ended,
    alreadyEnded: !r.changed,
    ...(task?.outcome ? { outcome: task.outcome } : {}),
  };
}

/** RFC 7009: one token and everything derived from it. */
export async function revokeTokenTree(
  ctx: RevocationDeps,
  claims: BatonClaims,
  by: string,
): Promise<void> {
  const r = await write(() => ctx.store.revokeToken(claims.txn, claims.jti));
  // A task that is gone ended at its deadline, which no token outlives: nothing to announce.
  if (r && (await needsNotice(ctx, r.changed, claims.txn, claims.jti)))
    await announce(
      ctx,
      { type: 'token', txn: claims.txn, jti: claims.jti, stamp: Date.now() * 1000 },
      { txn: claims.txn, jti: claims.jti },
    );
  ctx.audit.emit({
    type: 'token_revoked',
    txn: claims.txn,
    act: actorChain(claims.act),
    sub: claims.sub,
    client: by,
    decision: 'done',
    detail: { jti: claims.jti, aud: claims.aud },
  });
}

/**
 * Agent, user or everything: tokens whose chain entered before the mark die. A repeat moves the
 * cut to now (tokens made since the last mark die too), so it changes something and is always
 * published; and a mark whose publish failed is re-notified by repeating it.
 */
export async function revokeByMark(
  ctx: RevocationDeps,
  kind: 'agent' | 'user' | 'all',
  by: string,
  id = '',
): Promise<number> {
  const before = await write(() => ctx.store.putMark(kind, id));
  const event: FeedEvent =
    kind === 'agent'
      ? { type: 'agent', id, before, stamp: before }
      : kind === 'user'
        ? { type: 'user', sub: id, before, stamp: before }
        : { type: 'all', before, stamp: before };
  await announce(ctx, event);
  ctx.audit.emit({
    type: `${kind}_revoked`,
    client: by,
    decision: 'done',
    ...(kind === 'user' ? { sub: id } : {}),
    detail: { before, ...(kind === 'agent' ? { agent: id } : {}) },
  });
  return before;
}
