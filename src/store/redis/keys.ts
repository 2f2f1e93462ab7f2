import { onceKey } from '../once-key.js';

/**
 * The hash tag of a task's keys. Redis Cluster hashes the text between the first `{` and the
 * next `}`, so a txn with a `}` would end the tag early (`}x` makes an empty tag: each key of
 * the task on its own slot, and the task's Lua scripts fail with CROSSSLOT), and one with `{`
 * could start it elsewhere. Txns reach the store from outside (paths, approval ids), so rather
 * than trust each entry point to refuse ids Baton did not mint, `%`, `{` and `}` are
 * percent-escaped here, where every key is named: no id can break the tag, two ids never share
 * a key, and the UUIDs Baton mints (which hold none of the three) keep their keys unchanged.
 */
const tag = (id: string): string =>
  `{${id.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}}`;

/**
 * Every Redis key Baton uses, named in one place. Everything of a task shares the `{txn}` hash
 * tag so one Lua script can touch it all on a Redis Cluster; the marks and the feed share
 * `{global}`. Task keys expire at the task's deadline: nothing grows without bound.
 */
export const keys = (prefix: string) => ({
  /** Hash: owner, sub, purpose, createdAt, deadline, status, outcome, summary, endedBy, stamp. */
  task: (txn: string) => `${prefix}${tag(txn)}:task`,
  /** Hash: jti -> "<stamp> <record json>" for every token of the task. */
  tokens: (txn: string) => `${prefix}${tag(txn)}:tok`,
  /** Set: jtis revoked in the task; a token is dead when it or an ancestor is in it. */
  revoked: (txn: string) => `${prefix}${tag(txn)}:rev`,
  /** Set: the task's revocations published on the feed (`task`, `t:<jti>`); dies with the task. */
  notified: (txn: string) => `${prefix}${tag(txn)}:ntf`,
  /** Stream: the task's audit events, kept past the deadline for the audit retention. */
  events: (txn: string) => `${prefix}${tag(txn)}:ev`,
  /** Stream: refusals about the task (others' too), bounded apart from its decisions in `events`. */
  refusals: (txn: string) => `${prefix}${tag(txn)}:refused`,
  /** Stream: every audit event but refusals, fed in batches, trimmed by length and age. */
  audit: () => `${prefix}{global}:audit`,
  /** Stream: every refusal, trimmed by its own length and by age. */
  auditRefusals: () => `${prefix}{global}:refused`,
  /** Hash: one approval (`rec` json + status, lastPoll, decidedBy...). Ids are `<txn>.<random>`. */
  approval: (id: string) =>
    `${prefix}${tag(id.slice(0, id.lastIndexOf('.')))}:appr:${id.slice(id.lastIndexOf('.') + 1)}`,
  /** Sorted set: pending approval id -> expiresAt, per task (its bound) and per agent (its bound). */
  taskApprovals: (txn: string) => `${prefix}${tag(txn)}:apprp`,
  agentApprovals: (agent: string) => `${prefix}{global}:appra:${agent}`,
  /** Hash: binding hash -> id of the task's approval for it (pending if in taskApprovals). */
  taskBindings: (txn: string) => `${prefix}${tag(txn)}:apprb`,
  /** Sorted set, all scores 0: `pendingPosition` of each pending approval, paged by text order. */
  pendingApprovals: () => `${prefix}{global}:apprq`,
  /** String, SET NX with expiry: single-use ids (client assertion jtis), named by onceKey. */
  once: (ns: string, id: string) => `${prefix}once:${onceKey(ns, id)}`,
  /**
   * Hash: `a:<agent>` / `u:<sub>` / `all` -> stamp of the latest cross-task mark; beside it a
   * sorted set of the same fields scored by that stamp (read from a stamp on, pruned from the
   * old end past one task lifetime) and a small meta hash (`epoch`, `last` stamp, `indexed`).
   * All three in `{global}`, so one script keeps them in step (docs/architecture.md).
   */
  marks: () => `${prefix}{global}:marks`,
  marksIndex: () => `${prefix}{global}:marks:idx`,
  marksMeta: () => `${prefix}{global}:marks:meta`,
  /** Stream: the revocation feed, trimmed to a bounded length. */
  feed: () => `${prefix}{global}:feed`,
  /**
   * String, counter with the window's expiry: a rate-limit budget. `rate-limiter-flexible` joins
   * the prefix and the key with `:`; the key is its own hash tag, never a task's `{txn}` slot,
   * and percent-encoded so no id can close the tag early.
   */
  rateLimitPrefix: (windowSeconds: number) => `${prefix}rl:${windowSeconds}`,
  rateLimitKey: (key: string) => `{rl:${encodeURIComponent(key)}}`,
  /**
   * Sorted sets of the task index (docs/architecture.md, "The task index"), one pair per hour of
   * task starts and shard: `all` holds `taskPosition` of every task started (scores 0, paged by
   * text order), `open` each open task's id scored by its deadline. Each is its own hash tag, so
   * a Cluster spreads one hour's starts over the shards' slots; both expire after the last
   * deadline in them.
   */
  taskIndex: (hour: number, shard: number) => `${prefix}{tidx:${hour}.${shard}}:all`,
  taskIndexOpen: (hour: number, shard: number) => `${prefix}{tidx:${hour}.${shard}}:open`,
  /** Hash: one console session (`rec` json, `exp` its absolute end); expires at its idle end. */
  session: (id: string) => `${prefix}{sess:${id}}`,
  /** Pub/sub channel carrying each feed entry as it is appended. */
  channel: () => `${prefix}feed`,
});
export type Keys = ReturnType<typeof keys>;
