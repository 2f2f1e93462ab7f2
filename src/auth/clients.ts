import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { AgentConfig, ClientAuthConfig, Config, ToolConfig } from '../config/schema.js';

/** An OAuth client Baton knows: an agent (at /token) or a tool's resource server (at /introspect). */
export type Client =
  | {
      kind: 'agent';
      id: string;
      auth: ClientAuthConfig;
      agent: AgentConfig;
      jwks?: JWTVerifyGetKey;
    }
  | {
      kind: 'resource_server';
      id: string;
      auth: ClientAuthConfig;
      tool: ToolConfig;
      jwks?: JWTVerifyGetKey;
    };

export class ClientRegistry {
  private readonly byId = new Map<string, Client>();

  constructor(config: Pick<Config, 'agents' | 'tools'>) {
    const jwksOf = (auth: ClientAuthConfig) =>
      auth.method === 'private_key_jwt'
        ? { jwks: createLocalJWKSet(auth.jwks as JSONWebKeySet) }
        : {};
    for (const agent of config.agents)
      this.byId.set(agent.id, {
        kind: 'agent',
        id: agent.id,
        auth: agent.auth,
        agent,
        ...jwksOf(agent.auth),
      });
    for (const tool of config.tools) {
      const rs = tool.resourceServer;
      this.byId.set(rs.clientId, {
        kind: 'resource_server',
        id: rs.clientId,
        auth: rs.auth,
        tool,
        ...jwksOf(rs.auth),
      });
    }
  }

  get(id: string): Client | undefined {
    return this.byId.get(id);
  }
}

/** The enabled agent with this client id, if any. */
export function agentById(clients: ClientRegistry, id: string): AgentConfig | undefined {
  const c = clients.get(id);
  return c?.kind === 'agent' && !c.agent.disabled ? c.agent : undefined;
}

/** Tools by resource URI and by name (an `audience` may use either). */
export class ToolIndex {
  private readonly byKey = new Map<string, ToolConfig>();
  constructor(tools: ToolConfig[]) {
    for (const t of tools) {
      this.byKey.set(t.resource, t);
      if (t.name) this.byKey.set(t.name, t);
    }
  }
  find(target: string): ToolConfig | undefined {
    return this.byKey.get(target);
  }
}
