import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULTS } from '../../config/defaults.js';
import { InvalidRequest } from '../../errors.js';
import { single } from '../../exchange/request.js';
import { revokeByHolder } from '../../revocation/by-holder.js';
import { clientInputFromForm } from '../client-input.js';
import { clientAuthenticator, endpointUrl, type HttpDeps } from '../deps.js';
import { readForm } from '../form.js';
import { NO_STORE } from '../respond.js';
import { scoped } from '../../scope.js';
import type { StoreBudget } from '../../store/deadline.js';

/**
 * POST /revoke — RFC 7009. The route parses the form and authenticates; the holder rule is
 * revokeByHolder's (src/revocation/by-holder.ts). Unknown, invalid or expired tokens answer 200
 * (§2.2). The hint is only a hint (§2.1).
 */
export function revokeRoute(deps: HttpDeps) {
  const authenticate = clientAuthenticator(deps.ctx, '/revoke', '/revoke');
  const htu = endpointUrl(deps.ctx, '/revoke');
  return async (req: IncomingMessage, res: ServerResponse, budget: StoreBudget): Promise<void> => {
    const form = await readForm(req, DEFAULTS.maxBodyBytes);
    const ctx = scoped(deps.ctx, { budget });
    const client = await authenticate(
      clientInputFromForm(req.headers, form),
      req.socket.remoteAddress,
      ctx.store,
    );
    const token = single(form, 'token');
    single(form, 'token_type_hint');
    if (!token) throw new InvalidRequest('token is required');
    const revoked = await revokeByHolder(ctx, client, token, {
      proofs: req.headersDistinct.dpop,
      method: 'POST',
      url: htu,
    });
    if (revoked)
      deps.log.info({ op: 'revoke_token', client: client.id, ...revoked }, 'token revoked');
    res.writeHead(200, { ...NO_STORE, 'Content-Length': 0 });
    res.end();
  };
}
