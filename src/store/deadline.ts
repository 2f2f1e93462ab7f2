import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The one deadline of a request's store work, carried by AsyncLocalStorage: the HTTP layer sets
 * it once per request and the Redis store's command wrapper reads it, so every store call the
 * request makes (a task completion makes three or four) spends the same budget, and no store
 * signature has to carry it. The memory store never waits, so it needs nothing.
 */
const deadlines = new AsyncLocalStorage<number>();

/** Runs `fn` with a store budget of `ms` from now (epoch ms deadline), for all it awaits. */
export function withStoreDeadline<T>(ms: number, fn: () => T): T {
  return deadlines.run(Date.now() + ms, fn);
}

/** Milliseconds left of the current request's budget; undefined outside a request. */
export function storeBudgetLeftMs(): number | undefined {
  const at = deadlines.getStore();
  return at === undefined ? undefined : at - Date.now();
}
