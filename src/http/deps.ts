import type { ClientAuthDeps, ClientAuthInput } from '../auth/client-auth.js';
import type { Client } from '../auth/clients.js';
import type { BatonContext } from '../context.js';
import type { Logger } from '../log.js';
import { DEFAULTS } from '../config/defaults.js';
import { authenticateLimited } from '../limits/authenticate.js';
import type { LimitedRoute } from '../limits/request-limits.js';
import type { Metrics } from './metrics.js';

/** What every HTTP handler gets: the domain context and a logger. */
export interface HttpDeps {
  ctx: BatonContext;
  log: Logger;
  metrics: Metrics;
}

export const endpointUrl = (ctx: BatonContext, path: string): string =>
  ctx.config.issuer.replace(/\/$/, '') + path;

/** Client authentication for one endpoint: assertions must name the issuer or that endpoint. */
export function clientAuthDeps(ctx: BatonContext, path: string): ClientAuthDeps {
  return {
    clients: ctx.clients,
    assertionAudiences: [ctx.config.issuer, endpointUrl(ctx, path)],
    maxAssertionLifetimeSeconds: DEFAULTS.maxAssertionLifetimeSeconds,
    clockToleranceSeconds: DEFAULTS.clockToleranceSeconds,
    useOnce: (ns, id, exp) => ctx.store.useOnce(ns, id, exp),
  };
}

/** Authenticates a caller of `route` under the rate limits (src/limits/authenticate.ts). */
export function clientAuthenticator(ctx: BatonContext, path: string, route: LimitedRoute) {
  const auth = clientAuthDeps(ctx, path);
  return (input: ClientAuthInput, address: string | undefined): Promise<Client> =>
    authenticateLimited(auth, ctx.limits, route, input, address);
}
