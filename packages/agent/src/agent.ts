import type { PendingApproval } from './approvals.js';
import { type BatonConnection, TOKEN_TYPE_ACCESS, tokenExchange } from './baton-http.js';
import { type AgentAuth, clientAuthFor } from './client-auth.js';
import { discoverBaton } from './discovery.js';
import { agentDpop, type DpopOption } from './dpop.js';
import { httpOptions } from './http-options.js';
import { fetchResourceMetadata, KnownResources, type ResourceMetadata } from './resources.js';
import { type HandOff, Task } from './task.js';

/** Options of `createAgent`. */
export interface AgentOptions {
  /** Baton's issuer; its RFC 8414 metadata is read from there. */
  issuer: string;
  /** This agent's `client_id` in Baton's config. */
  clientId: string;
  /** A client secret, or a `private_key_jwt` key (RFC 7523). */
  auth: AgentAuth;
  /** RFC 9449: `true`/`'ES256'` or `'Ed25519'` for a key generated in memory, or a key pair of your own. */
  dpop?: DpopOption;
  /** The tools' resource URIs this agent calls; `task.fetch` attaches tokens to these only. */
  resources?: string[];
  /** The tools' cap on `tool_call.arguments` in bytes (Baton's default 2048); larger go by digest. */
  maxArgumentsBytes?: number;
  /** Default `onPending` for every `tokenFor` of every task. */
  onPending?: (pending: PendingApproval) => void;
  /** The fetch to use for Baton and tools (default: the global one). */
  fetch?: typeof fetch;
  /** Allow `http:` URLs (development only; oauth4webapi refuses them otherwise). */
  allowHttp?: boolean;
}

/** Options of `agent.startTask`. */
export interface StartTaskOptions {
  /** Why the task exists, kept with it and shown to approvers (Baton's `purpose`). */
  purpose?: string;
  /** Narrow the task's scope (default: the user's scope ∩ the agent's task scopes). */
  scope?: string[];
}

/** An agent connected to Baton: starts tasks and accepts tasks handed to it. */
export interface Agent {
  readonly clientId: string;
  /** RFC 7638 thumbprint of the agent's DPoP key (undefined without DPoP). */
  readonly dpopThumbprint: string | undefined;
  /** Starts a task for the user whose access token this is. */
  startTask(userToken: string, options?: StartTaskOptions): Promise<Task>;
  /** Takes over a task another agent handed to this one (`task.handOff`). */
  acceptHandOff(handOff: HandOff): Promise<Task>;
  /**
   * Learns a tool's resource from its RFC 9728 metadata, accepted only when its `resource` is
   * the URL asked about (§3.3) and it names this Baton; `task.fetch` then attaches tokens to it.
   */
  learnResource(resource: string): Promise<ResourceMetadata>;
}

/** Connects to Baton (RFC 8414 discovery) and returns the agent. */
export async function createAgent(options: AgentOptions): Promise<Agent> {
  const http = httpOptions(options.fetch, options.allowHttp);
  const as = await discoverBaton(options.issuer, http);
  const dpop = await agentDpop(options.dpop);
  const c: BatonConnection = {
    as,
    client: { client_id: options.clientId },
    auth: clientAuthFor(options.auth),
    dpop,
    http,
  };
  const known = new KnownResources(options.resources);
  const settings = {
    known,
    maxArgumentsBytes: options.maxArgumentsBytes ?? 2048,
    onPending: options.onPending,
  };
  const taskFrom = async (params: Record<string, string>) =>
    new Task(c, settings, (await tokenExchange(c, params)).access_token);
  return {
    clientId: options.clientId,
    dpopThumbprint: dpop?.jkt,
    startTask: (userToken, o = {}) =>
      taskFrom({
        subject_token: userToken,
        subject_token_type: TOKEN_TYPE_ACCESS,
        audience: as.issuer,
        ...(o.purpose ? { purpose: o.purpose } : {}),
        ...(o.scope ? { scope: o.scope.join(' ') } : {}),
      }),
    acceptHandOff: (h) =>
      taskFrom({ subject_token: h.token, subject_token_type: h.tokenType, audience: as.issuer }),
    learnResource: async (resource) => {
      const md = await fetchResourceMetadata(resource, as.issuer, http);
      known.add(resource);
      return md;
    },
  };
}
