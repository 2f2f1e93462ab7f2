/** For table-driven rule tests: what a call did, as one comparable value. */
export function outcome<T>(f: () => T): { ok: T } | { error: string } {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: (e as { code?: string }).code ?? String(e) };
  }
}
