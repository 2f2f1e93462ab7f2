/**
 * `@baton/agent`: Baton's agent SDK. Start a task from a user's token, get a token before each
 * tool call (approvals waited for), call tools with `task.fetch`, hand the task on, renew it,
 * complete it — DPoP included. docs/connect-an-agent.md is the guide.
 */
export { createAgent } from './agent.js';
export type { Agent, AgentOptions, StartTaskOptions } from './agent.js';
export type { PendingApproval } from './approvals.js';
export { TOKEN_TYPE_ACCESS, TOKEN_TYPE_HAND_OFF_OFFER } from './baton-http.js';
export type { AgentAuth } from './client-auth.js';
export type { DpopOption } from './dpop.js';
export { BatonError, InsufficientScopeError } from './errors.js';
export type { TaskFetchInit } from './fetch.js';
export { normalizeResource } from './resources.js';
export type { ResourceMetadata } from './resources.js';
export { Task } from './task.js';
export type { Completion, HandOff, TokenForOptions } from './task.js';
export type { HeldToken } from './token-cache.js';
export { ERROR_CODES, toolCallDetail, argumentsDigest } from '@baton/protocol';
