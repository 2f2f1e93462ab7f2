import { createHash } from 'node:crypto';
import { canonicalJson } from './binding.js';

/**
 * RFC 9396 authorization details of type `tool_call`: the one call a tool token is for. The agent
 * SDK builds it, Baton validates and signs it into the token, and the resource-server middleware
 * compares it with the call it receives — all three through the functions below, so they agree
 * byte for byte on what "the same call" means.
 */
export interface ToolCallDetail {
  type: 'tool_call';
  /** The tool's resource URI (the token's audience). */
  tool: string;
  /** The operation: an MCP tool name, a route's name (1–128 characters, MCP's tool-name limit). */
  action: string;
  /** The call's arguments, when they fit the tool's cap. */
  arguments?: Record<string, unknown>;
  /** Instead of `arguments`: `argumentsDigest(arguments)`, for arguments larger than the cap. */
  arguments_sha256?: string;
  /** RFC 9396 §2.2: may only name the tool. */
  locations?: string[];
}

/** The call a tool is about to run (MCP `tools/call` name and arguments, or a route's mapping). */
export interface ToolCallRequest {
  action: string;
  arguments?: Record<string, unknown>;
}

/** MCP tool names are 1–128 characters of `A-Za-z0-9_-.`; Baton also allows `:` and `/`. */
export const TOOL_ACTION_PATTERN = /^[A-Za-z0-9._:/-]{1,128}$/;

/** UTF-8 bytes of the arguments' RFC 8785 canonical form: what every size cap counts. */
export function argumentsBytes(args: Record<string, unknown>): number {
  return new TextEncoder().encode(canonicalJson(args)).byteLength;
}

/** SHA-256 (base64url, no padding) of the arguments' RFC 8785 canonical form. */
export function argumentsDigest(args: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(args)).digest('base64url');
}

/**
 * The `tool_call` detail for a call: the arguments themselves when their canonical form fits
 * `maxArgumentsBytes`, else their digest, so a large call is still bound to exactly its bytes.
 */
export function toolCallDetail(
  tool: string,
  call: ToolCallRequest,
  maxArgumentsBytes: number,
): ToolCallDetail {
  const base = { type: 'tool_call' as const, tool, action: call.action };
  if (call.arguments === undefined) return base;
  return argumentsBytes(call.arguments) <= maxArgumentsBytes
    ? { ...base, arguments: call.arguments }
    : { ...base, arguments_sha256: argumentsDigest(call.arguments) };
}

/** Why a call is not the one a detail binds, or undefined when it is. */
export function toolCallMismatch(
  detail: ToolCallDetail,
  call: ToolCallRequest,
): 'action' | 'arguments' | undefined {
  if (detail.action !== call.action) return 'action';
  // A detail that names no arguments binds the action only (documented in docs/tokens.md).
  if (detail.arguments !== undefined) {
    if (call.arguments === undefined) return 'arguments';
    if (canonicalJson(detail.arguments) !== canonicalJson(call.arguments)) return 'arguments';
  } else if (detail.arguments_sha256 !== undefined) {
    if (call.arguments === undefined) return 'arguments';
    if (argumentsDigest(call.arguments) !== detail.arguments_sha256) return 'arguments';
  }
  return undefined;
}
