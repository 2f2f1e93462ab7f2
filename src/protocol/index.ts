/**
 * `baton/protocol`: what the server and the SDK packages share (error codes, claim and feed
 * types, the marks verdict, feed id order, the approval binding hash). No dependencies but
 * `node:crypto` and the RFC 8785 canonicalizer, so an SDK imports it without the broker.
 */
export * from './binding.js';
export * from './claims.js';
export * from './errors.js';
export * from './feed.js';
export * from './marks.js';
export * from './tool-call.js';
export * from './resource-uri.js';
export * from './dpop-proof.js';
export * from './introspection.js';
export * from './admin-api.js';
