import { InvalidRequest } from '../errors.js';
import { type DpopDeps, type DpopRequest, type VerifiedProof, verifyDpopProof } from './dpop.js';

/**
 * RFC 9449 §6 at Baton's own endpoints (revocation, completion): what a bound token lets its
 * holder do needs a proof by the key it is bound to. Unbound: the proof, if any, is still checked.
 */
export async function requireHolderProof(
  deps: DpopDeps,
  jkt: string | undefined,
  what: string,
  req: DpopRequest,
): Promise<void> {
  requireProofFor(jkt, await verifyDpopProof(deps, req), what);
}

/**
 * RFC 8693 §2.2.2 with RFC 9449 §6: a token bound to `jkt` is accepted only with a proof by that
 * key; `invalid_request`, before anything is recorded.
 */
export function requireProofFor(
  jkt: string | undefined,
  proof: VerifiedProof | undefined,
  what: string,
): void {
  if (jkt === undefined) return;
  if (!proof)
    throw new InvalidRequest(`${what} is DPoP-bound; send a DPoP proof by the key it is bound to`);
  if (proof.jkt !== jkt)
    throw new InvalidRequest(`${what} is DPoP-bound to another key than the DPoP proof's`);
}
