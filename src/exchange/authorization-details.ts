import { DEFAULTS } from '../config/defaults.js';
import { InvalidAuthorizationDetails } from '../errors.js';
import type { ToolConfig } from '../config/schema.js';
import { argumentsBytes, TOOL_ACTION_PATTERN, type ToolCallDetail } from '../protocol/tool-call.js';

/**
 * RFC 9396 authorization details of type `tool_call`: the one call a tool token is for (its
 * shape is the protocol's, shared with the SDK and the middleware). Validated against the tool's
 * config, passed to policy, copied into the token, returned in the token response (§7) and by
 * introspection, so the tool can check the call it receives.
 */
export type ToolCall = ToolCallDetail;

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
    if (!['type', 'tool', 'action', 'arguments', 'arguments_sha256', 'locations'].includes(k))
      fail(`unknown field ${JSON.stringify(k.slice(0, 40))} in tool_call`);
  const target = o.tool ?? tool.resource;
  if (target !== tool.resource && target !== tool.name)
    fail('tool_call.tool must name the tool the token is for');
  if (typeof o.action !== 'string' || !TOOL_ACTION_PATTERN.test(o.action))
    fail('tool_call.action must be 1-128 of A-Z a-z 0-9 . _ : / -');
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
    if (argumentsBytes(o.arguments as Record<string, unknown>) > max)
      fail(`tool_call.arguments exceed ${max} bytes; bind them by arguments_sha256`);
  }
  if (o.arguments_sha256 !== undefined) {
    if (o.arguments !== undefined) fail('give tool_call.arguments or arguments_sha256, not both');
    if (typeof o.arguments_sha256 !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(o.arguments_sha256))
      fail('tool_call.arguments_sha256 must be a base64url SHA-256 (43 characters)');
  }
  return {
    type: 'tool_call',
    tool: tool.resource,
    action: o.action,
    ...(o.arguments !== undefined ? { arguments: o.arguments as Record<string, unknown> } : {}),
    ...(o.arguments_sha256 !== undefined ? { arguments_sha256: o.arguments_sha256 as string } : {}),
    ...(o.locations !== undefined ? { locations: o.locations as string[] } : {}),
  };
}
