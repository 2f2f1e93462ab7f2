import {
  authenticateClient,
  type ClientAuthDeps,
  type ClientAuthInput,
  claimedClientId,
} from '../auth/client-auth.js';
import type { Client } from '../auth/clients.js';
import { InvalidClient } from '../errors.js';
import type { LimitedRoute, RequestLimits } from './request-limits.js';

/**
 * Client authentication under the rate limits: the address is admitted first, a failure spends
 * only failure budgets (answered 429 instead of 401 once one is spent), a success spends the
 * client's own budget.
 */
export async function authenticateLimited(
  auth: ClientAuthDeps,
  limits: RequestLimits,
  route: LimitedRoute,
  input: ClientAuthInput,
  address: string | undefined,
): Promise<Client> {
  await limits.admitAddress(route, address);
  let client: Client;
  try {
    client = await authenticateClient(auth, input);
  } catch (e) {
    if (e instanceof InvalidClient)
      throw (await limits.failed(route, address, claimedClientId(input))) ?? e;
    throw e;
  }
  await limits.succeeded(route, client);
  return client;
}
