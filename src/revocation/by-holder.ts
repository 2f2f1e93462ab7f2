import type { Client } from '../auth/clients.js';
import type { DpopDeps, DpopRequest } from '../auth/dpop.js';
import { requireHolderProof } from '../auth/dpop-holder.js';
import { UnauthorizedClient } from '../errors.js';
import { type OwnTokenVerifier, verifyOwnToken } from '../tokens/verify-own.js';
import { type RevocationDeps, revokeTokenTree } from './revoke.js';

/** What the RFC 7009 holder rule uses: revocation's stores, our verifier, DPoP proof checks. */
export interface HolderRevocationDeps extends RevocationDeps {
  own: OwnTokenVerifier;
  dpop: DpopDeps;
}

/**
 * RFC 7009 §2.1 at POST /revoke: the client a token was issued to revokes it and everything
 * derived from it. Only agents hold tokens; a token issued to another client is refused
 * (`unauthorized_client`); a bound one needs a proof by its key (RFC 9449 §6). A token that
 * is not a live Baton token (unknown, invalid, expired) revokes nothing and is no error (§2.2:
 * there is nothing left to revoke, and the answer must not help probe tokens). Returns what was
 * revoked, for the log.
 */
export async function revokeByHolder(
  deps: HolderRevocationDeps,
  client: Client,
  token: string,
  dpop: DpopRequest,
): Promise<{ txn: string; jti: string } | undefined> {
  if (client.kind !== 'agent')
    throw new UnauthorizedClient(`client ${client.id} holds no tokens; it cannot revoke`);
  const claims = await verifyOwnToken(deps.own, token, 'token').catch(() => undefined);
  if (!claims) return undefined;
  if (claims.client_id !== client.id)
    throw new UnauthorizedClient('this token was not issued to the calling client');
  await requireHolderProof(deps.dpop, claims.cnf?.jkt, 'token', dpop);
  await revokeTokenTree(deps, claims, client.id);
  return { txn: claims.txn, jti: claims.jti };
}
