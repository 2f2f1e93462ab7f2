import { normalizeResourceUri, otherSlashSpelling } from '../protocol/resource-uri.js';
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

/**
 * Tools by name and by resource URI (an `audience` may use either). URIs match after RFC 3986
 * §6.2.2–6.2.3 normalisation (src/protocol/resource-uri.ts), so a spelling that differs in case,
 * default port or empty path is the same tool.
 */
export class ToolIndex {
  private readonly byName = new Map<string, ToolConfig>();
  private readonly byUri = new Map<string, ToolConfig>();
  constructor(tools: ToolConfig[]) {
    for (const t of tools) {
      this.byUri.set(normalizeResourceUri(t.resource) ?? t.resource, t);
      if (t.name) this.byName.set(t.name, t);
    }
  }
  find(target: string): ToolConfig | undefined {
    const named = this.byName.get(target);
    if (named) return named;
    const uri = normalizeResourceUri(target);
    return uri === undefined ? undefined : this.byUri.get(uri);
  }
  /** The tool a URI would name with its trailing slash added or removed (another URI, §6.2.3). */
  nearMiss(target: string): ToolConfig | undefined {
    const uri = normalizeResourceUri(target);
    return uri === undefined ? undefined : this.byUri.get(otherSlashSpelling(uri));
  }
}
