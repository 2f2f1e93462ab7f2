import type { ReplayStore } from '../store/store.js';

/**
 * RFC 7523 §3: a client assertion's `jti` is accepted once, until `untilEpochSeconds` (its `exp`
 * plus the clock tolerance). A store that cannot tell throws StoreUnavailable, a 503: an
 * assertion is never accepted unchecked, and a caller is never told its credentials are bad
 * because Baton's store is down.
 */
export function firstUseOfAssertion(
  replay: ReplayStore,
  clientId: string,
  jti: string,
  untilEpochSeconds: number,
): Promise<boolean> {
  return replay.useOnce(`assert:${clientId}`, jti, untilEpochSeconds);
}
