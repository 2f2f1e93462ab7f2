import type { Cluster, Redis } from 'ioredis';
import type { StoreBudget } from '../deadline.js';
import { StoreRejection, StoreUnavailable } from '../store.js';
import type { TokenState } from '../types.js';
import * as approvalLua from './approval-scripts.js';
import * as markLua from './mark-scripts.js';
import * as lua from './scripts.js';

export type Client = Redis | Cluster;

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
  batonRenew(
    k1: string,
    k2: string,
    k3: string,
    k4: string,
    k5: string,
    ...argv: (string | number)[]
  ): Promise<[number, string]>;
  batonTaskAudit(k1: string, json: string, maxlen: number, ttl: number): Promise<number>;
  batonPollApproval(k1: string, nowMs: number): Promise<(string | null)[] | null>;
  batonOpenApproval(
    k1: string,
    k2: string,
    k3: string,
    ...argv: (string | number)[]
  ): Promise<[number, (string | number)?]>;
  batonReserveAgentApproval(k1: string, k2: string, ...argv: (string | number)[]): Promise<number>;
  batonUndoApproval(
    k1: string,
    k2: string,
    k3: string,
    id: string,
    binding: string,
  ): Promise<number>;
  batonDecideApproval(k1: string, k2: string, ...argv: (string | number)[]): Promise<string | null>;
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
  batonNoteNotified(k1: string, k2: string, member: string): Promise<number>;
  batonMark(k1: string, k2: string, k3: string, field: string): Promise<string>;
  batonReadMarks(
    k1: string,
    k2: string,
    k3: string,
    ...argv: (string | number)[]
  ): Promise<['unindexed'] | ['ok', string, number, number, string[]]>;
  batonIndexMarks(
    k1: string,
    k2: string,
    k3: string,
    ...argv: (string | number)[]
  ): Promise<number>;
  batonPublish(k1: string, channel: string, maxlen: number, json: string): Promise<string>;
}

/** A connected client that knows our scripts. */
export type ScriptedClient = Client & Scripts;

export function defineScripts(c: Client): ScriptedClient {
  c.defineCommand('batonStart', { numberOfKeys: 3, lua: lua.START_TASK });
  c.defineCommand('batonRecord', { numberOfKeys: 4, lua: lua.RECORD_TOKEN });
  c.defineCommand('batonRenew', { numberOfKeys: 5, lua: lua.RENEW_TASK });
  c.defineCommand('batonTaskAudit', { numberOfKeys: 1, lua: lua.APPEND_TASK_AUDIT });
  c.defineCommand('batonPollApproval', { numberOfKeys: 1, lua: lua.POLL_APPROVAL });
  c.defineCommand('batonOpenApproval', { numberOfKeys: 3, lua: approvalLua.OPEN_APPROVAL });
  c.defineCommand('batonReserveAgentApproval', {
    numberOfKeys: 2,
    lua: approvalLua.RESERVE_AGENT_APPROVAL,
  });
  c.defineCommand('batonUndoApproval', { numberOfKeys: 3, lua: approvalLua.UNDO_APPROVAL });
  c.defineCommand('batonDecideApproval', { numberOfKeys: 2, lua: approvalLua.DECIDE_APPROVAL });
  c.defineCommand('batonConsumeApproval', { numberOfKeys: 1, lua: lua.CONSUME_APPROVAL });
  c.defineCommand('batonCheck', { numberOfKeys: 3, lua: lua.CHECK_TOKEN });
  c.defineCommand('batonEnd', { numberOfKeys: 2, lua: lua.END_TASK });
  c.defineCommand('batonInspect', { numberOfKeys: 3, lua: lua.INSPECT_TOKEN });
  c.defineCommand('batonRevoke', { numberOfKeys: 2, lua: lua.REVOKE_TOKEN });
  c.defineCommand('batonNoteNotified', { numberOfKeys: 2, lua: lua.NOTE_NOTIFIED });
  c.defineCommand('batonMark', { numberOfKeys: 3, lua: markLua.PUT_MARK });
  c.defineCommand('batonReadMarks', { numberOfKeys: 3, lua: markLua.READ_MARKS });
  c.defineCommand('batonIndexMarks', { numberOfKeys: 3, lua: markLua.INDEX_MARKS });
  c.defineCommand('batonPublish', { numberOfKeys: 1, lua: lua.PUBLISH });
  return c as ScriptedClient;
}

/**
 * Wraps one part's store call: a Redis failure becomes StoreUnavailable (503), never a guess; a
 * script's refusal (StoreRejection) passes through. The client's command timeout bounds the wait;
 * the request's budget, where there is one, is RedisStore's (`withinBudget`).
 */
export async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof StoreRejection) throw e;
    throw new StoreUnavailable(e);
  }
}

/**
 * Runs a store call within what is left of `budget`: once it is spent the call is never sent,
 * and a call in flight is no longer waited for (ioredis keeps the command queued, so it is raced;
 * a late answer is ignored). Without a budget the command timeout alone bounds it.
 */
export function withinBudget<T>(budget: StoreBudget | undefined, op: () => Promise<T>): Promise<T> {
  if (budget === undefined) return op();
  const left = budget.leftMs();
  if (left <= 0)
    return Promise.reject(
      new StoreUnavailable(new Error('request deadline spent before the store call')),
    );
  return withinMs(op(), left);
}

/** `p`, or StoreUnavailable after `ms` (the late answer is ignored; its rejection is handled). */
function withinMs<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailable(new Error(`no answer within the ${ms} ms left`))),
      ms,
    );
  });
  p.catch(() => {});
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** A script's `{1, stamp}` is the stamp; `{0, reason}` is a refusal. */
export function rejectOr(result: [number, string]): number {
  if (result[0] !== 1) throw new StoreRejection(result[1] as StoreRejection['reason']);
  return Number(result[1]);
}
