import type { ToolCallRequest } from '@baton/protocol';

/**
 * The mapping between MCP and Baton's `tool_call` detail (docs/protect-an-mcp-server.md):
 * the MCP server's resource URI is the detail's `tool`, the MCP tool's `name` its `action`, and
 * the `tools/call` request's `arguments` its `arguments` (absent = `{}`, as MCP sends none).
 */
export function toolCallOf(
  name: string,
  args: Record<string, unknown> | undefined,
): ToolCallRequest {
  return { action: name, arguments: args ?? {} };
}

/** One JSON-RPC message of a request body, as far as the gate reads it. */
export interface RpcMessage {
  method?: unknown;
  params?: { name?: unknown; arguments?: unknown };
}

/** What a request body asks: its `tools/call`s, and whether it carries anything else. */
export interface BodyCalls {
  calls: ToolCallRequest[];
  /** A message other than `tools/call` (initialize, tools/list, a notification, a response). */
  other: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the `tools/call` messages of a JSON-RPC body (one message or a batch). A `tools/call`
 * whose name is not a string or whose arguments are not an object is refused by the MCP server
 * as invalid params; here it counts as a call named `""`, so no bound token matches it.
 */
export function callsOfBody(body: unknown): BodyCalls {
  const messages = Array.isArray(body) ? body : body === undefined ? [] : [body];
  const out: BodyCalls = { calls: [], other: false };
  for (const m of messages as RpcMessage[]) {
    if (!isObject(m) || m.method !== 'tools/call') {
      out.other = true;
      continue;
    }
    const p = isObject(m.params) ? m.params : {};
    const args = isObject(p.arguments) ? p.arguments : undefined;
    const malformed = typeof p.name !== 'string' || (p.arguments !== undefined && !args);
    out.calls.push(toolCallOf(malformed ? '' : (p.name as string), args));
  }
  return out;
}
