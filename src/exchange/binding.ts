import { InvalidDpopProof, InvalidRequest } from '../errors.js';
import type { VerifiedProof } from '../auth/dpop.js';

/**
 * What a token's `cnf` asks of the request presenting it (RFC 9449 §6, RFC 8693 §2.2.2):
 * undefined = unbound; `jkt` = a proof by that key is needed. A confirmation Baton cannot check
 * (an mTLS `x5t#S256`, RFC 8705, or anything but a lone `jkt`) is refused, never read as bearer.
 */
export function confirmationOf(cnf: unknown, what: string): string | undefined {
  if (cnf === undefined) return undefined;
  if (
    typeof cnf === 'object' &&
    cnf !== null &&
    !Array.isArray(cnf) &&
    Object.keys(cnf).length === 1 &&
    typeof (cnf as { jkt?: unknown }).jkt === 'string'
  )
    return (cnf as { jkt: string }).jkt;
  throw new InvalidRequest(
    `${what} is bound by a confirmation method Baton cannot verify (only cnf.jkt, RFC 9449)`,
  );
}

/** RFC 8693 §2.2.2 with RFC 9449 §6: a bound subject or actor needs a proof by its key. */
export { requireProofFor } from '../auth/dpop-holder.js';

/** `dpop: required` (per agent, or `dpop.agents`): no proof is `invalid_dpop_proof`. */
export function requireProofOfAgent(
  agentId: string,
  required: boolean,
  proof: VerifiedProof | undefined,
): void {
  if (required && !proof)
    throw new InvalidDpopProof(`agent ${agentId} must send a DPoP proof (dpop: required)`);
}
