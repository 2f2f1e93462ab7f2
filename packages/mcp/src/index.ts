/**
 * `@baton/mcp`: Baton for the official MCP TypeScript SDK. Servers: `@baton/mcp/express`
 * (`batonMcp`), or `bearerTokenVerifier` for the SDK's own `requireBearerAuth`. Clients:
 * `batonTransport` / `batonMcpFetch`, a token per MCP server and, per call, per `tools/call`.
 */
export { authInfoOf, principalOfAuth } from './auth-info.js';
export { batonAuthProvider, type BatonAuthProviderOptions } from './auth-provider.js';
export { bearerTokenVerifier } from './bearer-verifier.js';
export { batonMcpFetch, batonTransport, type BatonMcpClientOptions } from './client.js';
export { MCP_DEFAULTS } from './defaults.js';
export { callsOfBody, toolCallOf } from './tool-calls.js';
