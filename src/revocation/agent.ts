import type { ClientRegistry } from '../auth/clients.js';
import { NotFound } from '../errors.js';
import { type RevocationDeps, revokeByMark } from './revoke.js';

/** What revoking an agent uses: revocation's stores, and the registry to know the id. */
export interface AgentRevocationDeps extends RevocationDeps {
  clients: Pick<ClientRegistry, 'get'>;
}

export interface AgentRevoked {
  /** The stamp every token of the agent's chains entered before is dead from. */
  before: number;
  /** Whether the id is an agent of the running config (a disabled one counts). */
  configured: boolean;
}

/**
 * An admin revokes every token an agent takes part in. An id that is no configured agent is
 * most often a typo, which would otherwise "succeed" and revoke nothing the admin meant: it is
 * refused (404) unless the admin says it means it (`allowUnknown`), since an agent removed from
 * config may still have live tokens that resource servers check locally, and revoking it must
 * stay possible.
 */
export async function revokeAgent(
  deps: AgentRevocationDeps,
  id: string,
  by: string,
  opts: { allowUnknown: boolean },
): Promise<AgentRevoked> {
  const configured = deps.clients.get(id)?.kind === 'agent';
  if (!configured && !opts.allowUnknown)
    throw new NotFound(
      `no configured agent has client id ${JSON.stringify(id.slice(0, 64))}; to revoke it anyway ` +
        '(an agent removed from config may still hold live tokens), send {"allow_unknown": true}',
    );
  return { before: await revokeByMark(deps, 'agent', by, id), configured };
}
