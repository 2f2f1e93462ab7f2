/**
 * How long a task can live, in one place. Everything that must outlast every live token of a
 * task (the revocation marks, first) asks here, so that when renewal brings `taskMaxSeconds`
 * this is the one function that changes.
 */
import { DEFAULTS } from './defaults.js';

/** What the bound is read from (a `Config`, or only its `defaults` part in tests). */
export interface TaskLifetimeConfig {
  defaults: { taskTtlSeconds: number };
}

/**
 * The longest a task (so any token of it) lives: the deadline rule caps every task token at
 * `taskTtlSeconds` from the start (src/exchange/task-start.ts), and every later token of the
 * task at its subject's `exp`.
 */
export function longestTaskLifetimeSeconds(config: TaskLifetimeConfig): number {
  return config.defaults.taskTtlSeconds;
}

/**
 * How long a cross-task revocation mark is kept: a mark covers only tokens of tasks started
 * before it, and those are all expired one task lifetime later, plus the clock tolerance that
 * every `exp` check allows (docs/revocation.md, "How long marks are kept").
 */
export function markRetentionSeconds(config: TaskLifetimeConfig): number {
  return longestTaskLifetimeSeconds(config) + DEFAULTS.clockToleranceSeconds;
}
