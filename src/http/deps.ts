import type { BatonContext } from '../context.js';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';

export { clientAuthDeps } from '../auth/client-auth-deps.js';

/** What every HTTP handler gets: the domain context and a logger. */
export interface HttpDeps {
  ctx: BatonContext;
  log: Logger;
  metrics: Metrics;
}
