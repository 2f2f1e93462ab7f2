/**
 * Baton's server entry (`import { bootBaton } from 'baton'`): wire a configuration into a
 * running broker. The agent SDK and resource-server middleware are packages of their own.
 */
export { type BatonInstance, type BootOptions, bootBaton } from './boot.js';
export { applyEnvOverrides, loadConfigFile, parseConfig } from './config/load.js';
export type { Config } from './config/schema.js';
export * from './errors.js';
export { ERROR_CODES, type ErrorCode } from './protocol/errors.js';
export type { FeedEntry, FeedEvent } from './protocol/feed.js';
