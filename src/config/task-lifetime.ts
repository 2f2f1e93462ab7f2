import type { Config } from './schema.js';

/**
 * The longest a task can live, renewals included (`defaults.taskMaxSeconds`): no token of a task
 * outlives its start + this, so whatever must outlast every task (a revocation mark, a replay
 * record) can expire after it.
 */
export function longestTaskSeconds(config: Pick<Config, 'defaults'>): number {
  return config.defaults.taskMaxSeconds;
}
