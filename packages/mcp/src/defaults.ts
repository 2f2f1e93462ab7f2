/** Every default of `@baton/mcp` in one place (docs/protect-an-mcp-server.md). */
export const MCP_DEFAULTS = {
  /** Open Streamable HTTP sessions one server holds at most; an `initialize` beyond gets 503. */
  maxSessions: 10_000,
  /** The JSON body limit of `router()` (express.json). */
  bodyLimit: '1mb',
} as const;
