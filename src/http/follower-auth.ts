import type { Request } from 'express';
import type { Client } from '../auth/clients.js';
import { clientAuthDeps } from '../auth/client-auth-deps.js';
import type { BatonContext } from '../context.js';
import { InvalidClient } from '../errors.js';
import { authenticateLimited } from '../limits/authenticate.js';
import { isAdmin } from './admin-auth.js';

const REFUSED = 'resource server credentials or an admin key are required';

/**
 * Who may follow the revocation feed: an admin (Bearer admin key), or a resource server
 * authenticated by the shared client authentication (src/auth/client-auth.ts) in its configured
 * method: Basic on GET or POST, and on POST also client_secret_post or private_key_jwt in the
 * form body. GET has no body, and an assertion in a query string would land in access logs, so
 * assertions go by POST. All of it under the rate limits: a failure spends the failure budgets,
 * a resource server's connection attempt its feed-connection budget; admins have no budget.
 */
export async function authenticateFollower(
  ctx: BatonContext,
  req: Request,
): Promise<Client | 'admin'> {
  const address = req.socket.remoteAddress;
  const h = req.headers.authorization;
  if (h !== undefined && /^Bearer\s/i.test(h)) {
    await ctx.limits.admitAddress('/revocations', address);
    if (isAdmin(ctx, h)) return 'admin';
    throw (
      (await ctx.limits.failed('/revocations', address, undefined)) ?? new InvalidClient(REFUSED)
    );
  }
  const body = req.method === 'POST' ? ((req.body ?? {}) as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const client = await authenticateLimited(
    clientAuthDeps(ctx, '/revocations'),
    ctx.limits,
    '/revocations',
    {
      authorization: h,
      clientId: str(body.client_id),
      clientSecret: str(body.client_secret),
      clientAssertion: str(body.client_assertion),
      clientAssertionType: str(body.client_assertion_type),
    },
    address,
  );
  // An agent's credentials are no feed credentials (401, like none at all).
  if (client.kind !== 'resource_server') throw new InvalidClient(REFUSED);
  return client;
}
