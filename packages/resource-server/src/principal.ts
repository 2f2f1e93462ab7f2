import type { Actor, ToolCallDetail } from '@baton/protocol';

/** Who is calling, as a checked Baton tool token says (RFC 9068, RFC 8693 `act`, `txn`). */
export interface BatonPrincipal {
  /** The user the task is for; never changes along the chain. */
  sub: string;
  /** RFC 8693 §4.1: the newest actor outermost; `actors[0]` is the agent acting now. */
  act: Actor;
  actors: string[];
  /** The task (Transaction Tokens' `txn`). */
  txn: string;
  /** The agent the token was issued to. */
  client_id: string;
  scope: string[];
  authorization_details?: unknown[];
  /** The one tool call the token is bound to, if any (the first `tool_call` detail). */
  toolCall?: ToolCallDetail;
  /** RFC 9449: the key the token is bound to; a verified proof by it came with the request. */
  cnf?: { jkt: string };
  tokenType: 'Bearer' | 'DPoP';
  jti: string;
  aud: string;
  iss: string;
  exp: number;
  iat: number;
  /** The access token itself (to pass on to Baton, never to log). */
  token: string;
}

/** What the verifier checks of one request: the same for Express, fetch and MCP adapters. */
export interface VerifyInput {
  method: string;
  /** The request's absolute URL as the client addressed it (the DPoP `htu`). */
  url: string;
  /** Header values by lower-case name; repeats as arrays (node's `headersDistinct`) or joined. */
  headers: Record<string, string | readonly string[] | undefined> | Headers;
}
