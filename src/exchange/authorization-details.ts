import { DEFAULTS } from '../config/defaults.js';
import { InvalidAuthorizationDetails } from '../errors.js';
import type { ToolConfig } from '../config/schema.js';

/**
 * RFC 9396 authorization details of type `tool_call`: the one call a tool token is for.
 * Validated against the tool's config, passed to policy, copied into the token, returned in
 * the token response (§7) and by introspection, so the tool can check the call it receives.
 */
export interface ToolCall {
  type: 'tool_call';
  /** The tool's resource URI (RFC 9396 §2.2 `locations` may name it too). */
  tool: string;
  action: string;
  arguments?: Record<string, unknown>;
  locations?: string[];
}

export const MAX_DETAILS_BYTES = DEFAULTS.maxAuthorizationDetailsBytes;
export const DEFAULT_MAX_ARGUMENT_BYTES = DEFAULTS.toolMaxArgumentsBytes;

function fail(msg: string): never {
  throw new InvalidAuthorizationDetails(msg);
}

/**
 * Size caps count UTF-8 bytes, what the token and the store carry: a string's `length` counts
 * UTF-16 code units, so text in most scripts would pass at up to three times the cap.
 */
const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Parses the form value (a JSON array) and checks each entry against the tool it targets. */
export function parseAuthorizationDetails(raw: string, tool: ToolConfig): ToolCall[] {
  if (utf8Bytes(raw) > MAX_DETAILS_BYTES)
    fail(`authorization_details exceeds ${MAX_DETAILS_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('authorization_details is not valid JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    fail('authorization_details must be a non-empty JSON array');
  if (parsed.length > 1) fail('a tool token is for one call: give exactly one tool_call');
  return parsed.map((d: unknown) => checkToolCall(d, tool));
}

function checkToolCall(d: unknown, tool: ToolConfig): ToolCall {
  if (typeof d !== 'object' || d === null || Array.isArray(d))
    fail('each authorization detail must be an object');
  const o = d as Record<string, unknown>;
  if (o.type !== 'tool_call')
    fail(
      `unknown authorization details type ${JSON.stringify(String(o.type).slice(0, 40))}; Baton understands tool_call`,
    );
  for (const k of Object.keys(o))
    if (!['type', 'tool', 'action', 'arguments', 'locations'].includes(k))
      fail(`unknown field ${JSON.stringify(k.slice(0, 40))} in tool_call`);
  const target = o.tool ?? tool.resource;
  if (target !== tool.resource && target !== tool.name)
    fail('tool_call.tool must name the tool the token is for');
  if (typeof o.action !== 'string' || !/^[A-Za-z0-9._:/-]{1,64}$/.test(o.action))
    fail('tool_call.action must be a short identifier');
  if (tool.actions && !tool.actions.includes(o.action))
    fail(`action ${o.action} is not one ${tool.resource} accepts`);
  if (
    o.locations !== undefined &&
    (!Array.isArray(o.locations) || !o.locations.every((l) => l === tool.resource))
  )
    fail('tool_call.locations may only name the tool');
  if (o.arguments !== undefined) {
    if (typeof o.arguments !== 'object' || o.arguments === null || Array.isArray(o.arguments))
      fail('tool_call.arguments must be an object');
    const max = tool.maxArgumentsBytes ?? DEFAULT_MAX_ARGUMENT_BYTES;
    if (utf8Bytes(JSON.stringify(o.arguments)) > max)
      fail(`tool_call.arguments exceed ${max} bytes`);
  }
  return {
    type: 'tool_call',
    tool: tool.resource,
    action: o.action,
    ...(o.arguments !== undefined ? { arguments: o.arguments as Record<string, unknown> } : {}),
    ...(o.locations !== undefined ? { locations: o.locations as string[] } : {}),
  };
}
