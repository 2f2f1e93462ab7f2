import type { AdminActor } from './audit/admin-actor.js';
import type { BatonContext } from './context.js';
import type { StoreBudget } from './store/deadline.js';

/** What one request carries beyond the shared context: its store budget, and the admin acting. */
export interface RequestScope {
  budget: StoreBudget;
  admin?: AdminActor | undefined;
}

/**
 * The context as one request's domain calls see it: its store spends the request's one budget
 * (src/store/deadline.ts), DPoP replay records included, and every audit event it files names
 * the admin acting, if any. Made once per request by the HTTP layer; work that outlives the
 * request (timers, streams) keeps the shared context, whose store is bounded by the command
 * timeout alone.
 */
export function scoped(ctx: BatonContext, scope: RequestScope): BatonContext {
  const store = ctx.store.within(scope.budget);
  return {
    ...ctx,
    store,
    // A DPoP proof's replay record is the request's store work too.
    dpop: { ...ctx.dpop, useOnce: (ns, id, exp) => store.useOnce(ns, id, exp) },
    audit: scope.admin ? ctx.audit.as(scope.admin) : ctx.audit,
  };
}
