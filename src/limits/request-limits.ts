import type { Client, ClientRegistry } from '../auth/clients.js';
import type { Budget, RateLimitsConfig } from '../config/schema.js';
import { TooManyRequests } from '../errors.js';
import type { BudgetLimiter } from './budget-limiter.js';

/** The routes whose callers are limited (a bounded set: a metrics label). */
export type LimitedRoute =
  | '/token'
  | '/introspect'
  | '/revoke'
  | '/tasks/complete'
  | '/tasks/renew'
  | '/revocations';

/** Which budget refused (a metrics label). */
export type LimitName =
  | 'client'
  | 'feed_connections'
  | 'auth_failures_address'
  | 'auth_failures_client';

export interface Limited {
  route: LimitedRoute;
  /** The client kind, or `unknown` when the refused caller is not (yet) a known client. */
  kind: Client['kind'] | 'unknown';
  limit: LimitName;
}

/**
 * Baton's rate limits (docs/configuration.md#rate-limits). A successful request spends its
 * client's budget; a failed authentication spends only failure budgets (per source address and
 * per claimed client id), never the success budget of the client it names, so wrong secrets
 * cannot starve a victim. An address over its failure budget is refused before its credentials
 * are checked. A client id over its failure budget is not locked out: correct credentials are
 * still served (else anyone could lock any agent out for good by guessing at its id); only the
 * failed attempts are answered 429 instead of 401, which tells a distributed guesser to back off.
 */
export class RequestLimits {
  /** Told of every refusal (http/ counts them in /metrics). */
  onLimited?: (l: Limited) => void;

  constructor(
    private readonly config: RateLimitsConfig,
    private readonly clients: ClientRegistry,
    private readonly limiter: BudgetLimiter,
  ) {}

  /** Before authenticating: an address over its failure budget is refused without a check. */
  async admitAddress(route: LimitedRoute, address: string | undefined): Promise<void> {
    if (!this.config.enabled || address === undefined) return;
    const ms = await this.limiter.spent(addressKey(address), this.config.authFailures.perAddress);
    if (ms !== undefined)
      this.refuse({ route, kind: 'unknown', limit: 'auth_failures_address' }, ms);
  }

  /**
   * After a failed authentication: spends the address's and the claimed id's failure budgets.
   * Returns the 429 to answer instead of the 401 when one of them is spent.
   */
  async failed(
    route: LimitedRoute,
    address: string | undefined,
    claimedId: string | undefined,
  ): Promise<TooManyRequests | undefined> {
    if (!this.config.enabled) return undefined;
    const { perAddress, perClient } = this.config.authFailures;
    // Only configured ids have a budget: ids made up by a guesser would each take memory, and
    // the address budget already bounds them.
    const known = claimedId !== undefined && this.clients.get(claimedId) !== undefined;
    const [byAddress, byClient] = await Promise.all([
      address === undefined ? undefined : this.limiter.take(addressKey(address), perAddress),
      known ? this.limiter.take(`fc:${claimedId}`, perClient) : undefined,
    ]);
    const kind = known ? this.clients.get(claimedId!)!.kind : 'unknown';
    if (byAddress !== undefined)
      return this.refusal({ route, kind, limit: 'auth_failures_address' }, byAddress);
    if (byClient !== undefined)
      return this.refusal({ route, kind, limit: 'auth_failures_client' }, byClient);
    return undefined;
  }

  /** After a successful authentication: spends one request of the client's budget. */
  async succeeded(route: LimitedRoute, client: Client): Promise<void> {
    if (!this.config.enabled) return;
    const feed = route === '/revocations';
    const budget = feed ? this.config.feedConnections : this.budgetOf(client);
    const ms = await this.limiter.take(`${feed ? 'f' : 'c'}:${client.id}`, budget);
    if (ms !== undefined)
      this.refuse({ route, kind: client.kind, limit: feed ? 'feed_connections' : 'client' }, ms);
  }

  budgetOf(client: Client): Budget {
    return client.kind === 'agent'
      ? (client.agent.rateLimit ?? this.config.agent)
      : (client.tool.resourceServer.rateLimit ?? this.config.resourceServer);
  }

  private refuse(l: Limited, ms: number): never {
    throw this.refusal(l, ms);
  }

  private refusal(l: Limited, ms: number): TooManyRequests {
    this.onLimited?.(l);
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return new TooManyRequests(`${DESCRIPTIONS[l.limit]}; retry after ${seconds} s`, seconds, {
      debug: l,
    });
  }
}

const DESCRIPTIONS: Record<LimitName, string> = {
  client: 'rate limit exceeded for this client',
  feed_connections: 'too many feed connection attempts from this client',
  auth_failures_address: 'too many failed authentications from this address',
  auth_failures_client: 'too many failed authentications for this client id',
};

/**
 * The failure-budget key of a source address: an IPv4 address as is, an IPv6 address by its
 * /64 (one host commonly holds a whole /64, so single addresses would be free to rotate).
 */
export function addressKey(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return `fa:${address.slice(7)}`;
  if (!address.includes(':')) return `fa:${address}`;
  const [head = '', tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? h
      : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  const net = groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
  return `fa:${net.join(':')}::/64`;
}
