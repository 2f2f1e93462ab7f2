/**
 * The one clock. Everything that reads "now" in seconds goes through `epochSeconds()`, so that
 * tests can move time (`setClock`) instead of sleeping, and no file keeps its own rounding.
 */
let nowMs: () => number = Date.now;

/** Whole seconds since the epoch (the unit of JWT `iat`, `exp`, `nbf`). */
export function epochSeconds(): number {
  return Math.floor(nowMs() / 1000);
}

/** Milliseconds since the epoch, from the same clock. */
export function epochMillis(): number {
  return nowMs();
}

/** Tests only: replace the clock (pass nothing to restore the real one). */
export function setClock(fn?: () => number): void {
  nowMs = fn ?? Date.now;
}
