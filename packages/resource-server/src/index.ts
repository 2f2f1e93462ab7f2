/** `@baton/resource-server`: the resource-server middleware (issue 16 builds it here). */
export { ERROR_CODES } from '@baton/protocol';
