import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateClient } from '../../auth/client-auth.js';
import { DEFAULTS } from '../../config/defaults.js';
import { exchangeToken } from '../../exchange/exchange.js';
import { parseExchangeRequest } from '../../exchange/request.js';
import { clientInputFromForm } from '../client-input.js';
import { clientAuthDeps, type HttpDeps } from '../deps.js';
import { readForm } from '../form.js';
import { sendJson } from '../respond.js';

/** POST /token — RFC 8693 token exchange (lean lane). */
export function tokenRoute(deps: HttpDeps) {
  const auth = clientAuthDeps(deps.ctx, '/token');
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const form = await readForm(req, DEFAULTS.maxBodyBytes);
    const client = await authenticateClient(auth, clientInputFromForm(req.headers, form));
    const request = parseExchangeRequest(form, deps.ctx.config.defaults.purposeMaxLength);
    const out = await exchangeToken(deps.ctx, client, request);
    deps.metrics.issued.inc({ operation: out.operation });
    sendJson(res, 200, out.response);
  };
}
