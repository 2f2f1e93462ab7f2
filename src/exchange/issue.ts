import { InvalidRequest } from '../errors.js';
import {
  orUnavailable,
  StoreRejection,
  type TaskRecord,
  type TokenRecord,
} from '../store/store.js';
import { actorChain, type BatonClaims } from '../tokens/claims.js';
import { signToken } from '../tokens/mint.js';
import type { ExchangeDeps } from './deps.js';
import type { AuditEvent } from '../audit/events.js';

/** The claims before the store has stamped them (the stamps go into `lineage.st`). */
export type UnstampedClaims = Omit<BatonClaims, 'lineage'> & { lineage: { anc: string[] } };

export interface Issued {
  token: string;
  claims: BatonClaims;
}

const REJECTION_TEXT: Record<StoreRejection['reason'], string> = {
  task_ended: 'subject_token belongs to a task that has ended',
  revoked: 'subject_token has been revoked',
  unknown_task: 'subject_token belongs to a task Baton no longer knows',
  unknown_parent: 'subject_token is not recorded',
  not_extended: 'the task already runs to this deadline or later; nothing to renew',
};

function recordOf(c: UnstampedClaims, ctx?: Record<string, unknown>): TokenRecord {
  return {
    jti: c.jti,
    txn: c.txn,
    anc: c.lineage.anc,
    client: c.client_id,
    actors: actorChain(c.act),
    aud: c.aud,
    scope: c.scope,
    exp: c.exp,
    iat: c.iat,
    ...(ctx ? { ctx } : {}),
  };
}

/** Store failures: a rejection is the subject's fault (invalid_request); anything else is 503. */
async function storeCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await orUnavailable(op, 'no token was issued');
  } catch (e) {
    if (e instanceof StoreRejection) throw new InvalidRequest(REJECTION_TEXT[e.reason]);
    throw e;
  }
}

/**
 * Invariant 5: the token is recorded before it exists. The store checks task state and lineage,
 * records, and returns the stamp; only then is the JWT signed (with the stamp in its lineage).
 * `inheritedStamps` are the parent's per-actor stamps; `newLevel` says this token adds an actor.
 */
export async function recordAndSign(
  ctx: ExchangeDeps,
  claims: UnstampedClaims,
  inheritedStamps: number[],
  newLevel: boolean,
  event: Omit<AuditEvent, 'time'>,
  recordCtx?: Record<string, unknown>,
): Promise<Issued> {
  const audit = ctx.audit.prepare(event);
  const stamp = await storeCall(() =>
    ctx.store.recordToken(recordOf(claims, recordCtx), audit.json),
  );
  ctx.audit.filed(audit);
  const full: BatonClaims = {
    ...claims,
    lineage: {
      anc: claims.lineage.anc,
      st: newLevel ? [stamp, ...inheritedStamps] : inheritedStamps,
    },
  };
  return { token: await signToken(ctx.keys, full), claims: full };
}

/**
 * Renewal: the store moves the task's deadline and records the renewed task token in one atomic
 * step (refused when the task ended or the token's lineage is revoked); then it is signed. The
 * renewed token adds no actor, so it inherits its parent's stamps.
 */
export async function renewAndSign(
  ctx: ExchangeDeps,
  claims: UnstampedClaims,
  inheritedStamps: number[],
  event: Omit<AuditEvent, 'time'>,
): Promise<Issued> {
  const audit = ctx.audit.prepare(event);
  await storeCall(() => ctx.store.renewTask(recordOf(claims), claims.exp, audit.json));
  ctx.audit.filed(audit);
  const full: BatonClaims = {
    ...claims,
    lineage: { anc: claims.lineage.anc, st: inheritedStamps },
  };
  return { token: await signToken(ctx.keys, full), claims: full };
}

/** Task start: creates the task and records its first token in one atomic step. */
export async function startAndSign(
  ctx: ExchangeDeps,
  task: Omit<TaskRecord, 'stamp' | 'status'>,
  claims: UnstampedClaims,
  event: Omit<AuditEvent, 'time'>,
): Promise<Issued> {
  const audit = ctx.audit.prepare(event);
  const stamp = await storeCall(() => ctx.store.startTask(task, recordOf(claims), audit.json));
  ctx.audit.filed(audit);
  // Every actor of a new task enters at its start stamp.
  const full: BatonClaims = {
    ...claims,
    lineage: { anc: [], st: actorChain(claims.act).map(() => stamp) },
  };
  return { token: await signToken(ctx.keys, full), claims: full };
}
