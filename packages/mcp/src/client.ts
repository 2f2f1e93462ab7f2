import type { Task } from '@baton/agent';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { callsOfBody } from './tool-calls.js';

/** Options of `batonTransport` and `batonMcpFetch`. */
export interface BatonMcpClientOptions {
  /** The MCP server's resource URI (its RFC 9728 `resource`); default the server's URL. */
  resource?: string;
  /** The scope to ask for (default: everything the task may have at that server). */
  scope?: string[];
  /**
   * Per-call mode: bind each `tools/call` to its own token (RFC 9396 `tool_call`: server URI
   * as `tool`, tool name as `action`, its arguments). `true` for every tool, or a predicate.
   */
  perCall?: boolean | ((toolName: string) => boolean);
  /** Per-call mode: the scope a bound token asks for, by tool name (default `scope`). */
  toolScopes?: Record<string, string[]>;
}

type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The `fetch` an MCP client transport uses to reach one MCP server with a Baton task: every
 * request carries the task's tool token for the server's `resource` (DPoP proof included when
 * the agent has a key), and in per-call mode each `tools/call` carries a token bound to it. The
 * SDK's own OAuth flow is not used: Baton has no authorization endpoint (tokens come from
 * RFC 8693 exchange), so the SDK never discovers or calls one.
 */
export function batonMcpFetch(task: Task, o: BatonMcpClientOptions & { url?: string }): FetchLike {
  const perCall = typeof o.perCall === 'function' ? o.perCall : () => o.perCall === true;
  const scope = o.scope ? { scope: o.scope } : {};
  return async (url, init = {}) => {
    const resource = o.resource ?? o.url ?? String(url);
    // Makes the resource known to task.fetch (and warms the token cache): one exchange per token life.
    await task.tokenFor(resource, scope);
    const call = boundCallOf(init.body, perCall);
    const callScope = call && o.toolScopes?.[call.action];
    return task.fetch(url, {
      ...init,
      ...(callScope ? { scope: callScope } : scope),
      ...(call ? { toolCall: call } : {}),
    });
  };
}

/** The one `tools/call` of a JSON-RPC body, when per-call mode binds it. */
function boundCallOf(body: unknown, perCall: (name: string) => boolean) {
  if (typeof body !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const { calls, other } = callsOfBody(parsed);
  const call = calls[0];
  return !other && calls.length === 1 && call && perCall(call.action) ? call : undefined;
}

/**
 * The SDK's Streamable HTTP client transport to one MCP server, its requests authorized by the
 * task (`batonMcpFetch`). `new Client(...).connect(batonTransport(task, url))`.
 */
export function batonTransport(
  task: Task,
  url: string | URL,
  o: BatonMcpClientOptions = {},
): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(url), {
    fetch: batonMcpFetch(task, { ...o, url: String(url) }),
  });
}
