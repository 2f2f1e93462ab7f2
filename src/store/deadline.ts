/**
 * The one budget of a request's store work. The HTTP layer makes one per request and hands the
 * domain a view of the store that spends it (`TokenStore.within`, src/scope.ts `scoped`), so
 * every store call the request makes (a task completion makes three or four) spends the same
 * budget. It is carried explicitly rather than by AsyncLocalStorage: on Node 20 an
 * AsyncLocalStorage in use puts a hook on every promise the process creates, which cost the
 * exchange and introspection 10–20 % of their throughput (docs/performance.md). The clock starts at
 * the first store call, so reading the body and verifying signatures do not spend it. The memory
 * store never waits, so it ignores it.
 */
export class StoreBudget {
  private deadline: number | undefined;

  constructor(readonly ms: number) {}

  /** Milliseconds left; the first call starts the clock. */
  leftMs(): number {
    this.deadline ??= Date.now() + this.ms;
    return this.deadline - Date.now();
  }
}
