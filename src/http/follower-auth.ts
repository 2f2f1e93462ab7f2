import type { IncomingMessage } from 'node:http';
import type { Client } from '../auth/clients.js';
import { secretMatches } from '../auth/secrets.js';
import type { BatonContext } from '../context.js';
import { InvalidClient } from '../errors.js';
import { isAdmin } from './admin-auth.js';

/** The Basic credentials of a request, or undefined when it carries none that parse. */
function basicCredentials(h: string): { id: string; secret: string } | undefined {
  if (!/^Basic\s/i.test(h)) return undefined;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, i)),
      secret: decodeURIComponent(decoded.slice(i + 1)),
    };
  } catch {
    return undefined;
  }
}

/** A resource server (its secret, via Basic) or an admin (Bearer admin key), or neither. */
function follower(ctx: BatonContext, h: string): Client | 'admin' | undefined {
  if (/^Bearer\s/i.test(h)) return isAdmin(ctx, h) ? 'admin' : undefined;
  const creds = basicCredentials(h);
  if (!creds) return undefined;
  const client = ctx.clients.get(creds.id);
  const hash =
    client?.kind === 'resource_server' && 'secretHash' in client.auth
      ? client.auth.secretHash
      : undefined;
  return secretMatches(creds.secret, hash) && hash !== undefined ? client : undefined;
}

/**
 * Who may follow the revocation feed, under the rate limits: a failure spends the failure
 * budgets (src/limits/request-limits.ts), a resource server's connection attempt its feed
 * connection budget. Admins have no client budget.
 */
export async function authenticateFollower(
  ctx: BatonContext,
  req: IncomingMessage,
): Promise<Client | 'admin'> {
  const address = req.socket.remoteAddress;
  await ctx.limits.admitAddress('/revocations', address);
  const h = req.headers.authorization ?? '';
  const who = follower(ctx, h);
  if (!who) {
    const refusal = await ctx.limits.failed('/revocations', address, basicCredentials(h)?.id);
    throw (
      refusal ??
      new InvalidClient('resource server (Basic) or admin (Bearer) credentials are required')
    );
  }
  if (who !== 'admin') await ctx.limits.succeeded('/revocations', who);
  return who;
}
