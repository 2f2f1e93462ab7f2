import { DEFAULTS } from './defaults.js';

/**
 * How long a task can live, in one place. Everything that must outlast every live token of a
 * task (the revocation marks, first) asks here.
 */

/** What the bound is read from (a `Config`, or only its `defaults` part in tests). */
export interface TaskLifetimeConfig {
  defaults: { taskMaxSeconds: number };
}

/**
 * The longest a task can live, renewals included (`defaults.taskMaxSeconds`): a task's deadline
 * moves only by renewal and never past its start + this, so no token of a task outlives it.
 */
export function longestTaskSeconds(config: TaskLifetimeConfig): number {
  return config.defaults.taskMaxSeconds;
}

/**
 * How long a cross-task revocation mark is kept: a mark covers only tokens of tasks started
 * before it, and those are all expired one task lifetime later, plus the clock tolerance that
 * every `exp` check allows (docs/revocation.md, "How long marks are kept").
 */
export function markRetentionSeconds(config: TaskLifetimeConfig): number {
  return longestTaskSeconds(config) + DEFAULTS.clockToleranceSeconds;
}
