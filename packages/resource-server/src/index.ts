/**
 * `@baton/resource-server`: check Baton tokens at a tool (locally against the JWKS and the
 * revocation feed, or by introspection), DPoP proofs of bound tokens (RFC 9449 §7), the bound
 * tool call, and RFC 9728 metadata. Express lives in `@baton/resource-server/express`.
 */
export { ERROR_CODES } from '@baton/protocol';
export type { ToolCallDetail, ToolCallRequest } from '@baton/protocol';
export { htuOf, verifyDpopProof, type DpopCheckOptions, type DpopCheckRequest } from './dpop.js';
export * from './errors.js';
export { refusalResponse, verifyRequest, withBaton, type WithBatonOptions } from './fetch.js';
export type { DpopPolicy } from './lib/challenge.js';
export { dpopNonces } from './lib/nonces.js';
export { MemoryReplayCache } from './lib/replay-cache.js';
export {
  protectedResourceMetadata,
  resourceMetadataPaths,
  resourceMetadataUrl,
} from './metadata.js';
export {
  type Credentials,
  type NonceSource,
  type ReplayCache,
  VERIFIER_DEFAULTS,
  type VerifierOptions,
} from './options.js';
export type { BatonPrincipal, VerifyInput } from './principal.js';
export {
  assertToolCall,
  type AssertToolCallOptions,
  enforceRouteCall,
  type RouteCallRule,
} from './tool-call.js';
export {
  type BatonVerifier,
  createVerifier,
  type Refusal,
  type VerifyRequirements,
} from './verifier.js';
