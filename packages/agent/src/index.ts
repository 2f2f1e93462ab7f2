/** `@baton/agent`: the agent SDK (issue 15 builds it here). */
export { ERROR_CODES } from '@baton/protocol';
