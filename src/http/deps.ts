import type { ClientAuthInput } from '../auth/client-auth.js';
import { clientAuthDeps } from '../auth/client-auth-deps.js';
import type { Client } from '../auth/clients.js';
import type { BatonContext } from '../context.js';
import { authenticateLimited } from '../limits/authenticate.js';
import type { LimitedRoute } from '../limits/request-limits.js';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';
import type { ReplayStore } from '../store/store.js';
import type { Response } from 'express';
import type { AdminActor } from '../audit/admin-actor.js';
import { scoped } from '../scope.js';
import { StoreBudget } from '../store/deadline.js';

export { clientAuthDeps, endpointUrl } from '../auth/client-auth-deps.js';

/** What every HTTP handler gets: the domain context and a logger. */
export interface HttpDeps {
  ctx: BatonContext;
  log: Logger;
  metrics: Metrics;
}

/**
 * Authenticates a caller of `route` under the rate limits (src/limits/authenticate.ts). A
 * client assertion's single-use record goes to `replay`, the request's store where given.
 */
export function clientAuthenticator(ctx: BatonContext, path: string, route: LimitedRoute) {
  const auth = clientAuthDeps(ctx, path);
  return (
    input: ClientAuthInput,
    address: string | undefined,
    replay?: ReplayStore,
  ): Promise<Client> =>
    authenticateLimited(replay ? { ...auth, replay } : auth, ctx.limits, route, input, address);
}

/**
 * The context for this request's domain calls (src/scope.ts): the store budget app.ts gave the
 * request, and the admin requireAdmin authenticated, so their audit events name them.
 */
export function requestCtx(ctx: BatonContext, res: Response): BatonContext {
  const budget =
    (res.locals.budget as StoreBudget | undefined) ??
    new StoreBudget(ctx.config.store.requestTimeoutMs);
  return scoped(ctx, { budget, admin: res.locals.admin as AdminActor | undefined });
}
