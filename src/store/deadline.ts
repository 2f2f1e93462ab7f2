import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The one budget of a request's store work, carried by AsyncLocalStorage: the HTTP layer sets
 * it once per request and the Redis store's command wrapper reads it, so every store call the
 * request makes (a task completion makes three or four) spends the same budget, and no store
 * signature has to carry it. The clock starts at the first store call, so reading the body and
 * verifying signatures do not spend it. The memory store never waits, so it needs nothing.
 */
interface Budget {
  readonly ms: number;
  deadline?: number;
}

const budgets = new AsyncLocalStorage<Budget>();

/** Runs `fn` with a store budget of `ms` for all it awaits (a nested call has its own). */
export function withStoreBudget<T>(ms: number, fn: () => T): T {
  return budgets.run({ ms }, fn);
}

/** Milliseconds left of the current request's budget; undefined outside a request. */
export function storeBudgetLeftMs(): number | undefined {
  const b = budgets.getStore();
  if (!b) return undefined;
  b.deadline ??= Date.now() + b.ms;
  return b.deadline - Date.now();
}

/**
 * Runs `fn` outside any request's budget: for work a request starts that outlives it (a timer
 * polling for every listener), which would otherwise inherit the request's budget through
 * AsyncLocalStorage and, once it is spent, fail every later store call.
 */
export function outsideStoreBudget<T>(fn: () => T): T {
  return budgets.exit(fn);
}
