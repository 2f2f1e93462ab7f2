import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULTS } from '../../config/defaults.js';
import { InvalidRequest, UnauthorizedClient } from '../../errors.js';
import { single } from '../../exchange/request.js';
import { revokeTokenTree } from '../../revocation/revoke.js';
import { verifyOwnToken } from '../../tokens/verify-own.js';
import { clientInputFromForm } from '../client-input.js';
import { clientAuthenticator, endpointUrl, type HttpDeps } from '../deps.js';
import { requireHolderProof } from '../../auth/dpop-holder.js';
import { readForm } from '../form.js';
import { NO_STORE } from '../respond.js';

/**
 * POST /revoke — RFC 7009. The client the token was issued to revokes it and everything
 * derived from it. Unknown, invalid or expired tokens answer 200 (§2.2): there is nothing left
 * to revoke, and the answer must not help probe tokens. The hint is only a hint (§2.1).
 */
export function revokeRoute(deps: HttpDeps) {
  const authenticate = clientAuthenticator(deps.ctx, '/revoke', '/revoke');
  const htu = endpointUrl(deps.ctx, '/revoke');
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const form = await readForm(req, DEFAULTS.maxBodyBytes);
    const client = await authenticate(
      clientInputFromForm(req.headers, form),
      req.socket.remoteAddress,
    );
    const token = single(form, 'token');
    single(form, 'token_type_hint');
    if (!token) throw new InvalidRequest('token is required');
    if (client.kind !== 'agent')
      throw new UnauthorizedClient(`client ${client.id} holds no tokens; it cannot revoke`);
    const claims = await verifyOwnToken(deps.ctx.own, token, 'token').catch(() => undefined);
    if (claims) {
      if (claims.client_id !== client.id)
        throw new UnauthorizedClient('this token was not issued to the calling client');
      // RFC 9449 §6: the holder of a bound token proves its key to revoke it.
      await requireHolderProof(deps.ctx.dpop, claims.cnf?.jkt, 'token', {
        proofs: req.headersDistinct.dpop,
        method: 'POST',
        url: htu,
      });
      await revokeTokenTree(deps.ctx, claims, client.id);
      deps.log.info(
        { op: 'revoke_token', client: client.id, txn: claims.txn, jti: claims.jti },
        'token revoked',
      );
    }
    res.writeHead(200, { ...NO_STORE, 'Content-Length': 0 });
    res.end();
  };
}
