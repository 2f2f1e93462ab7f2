import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { authenticateClient } from '../../auth/client-auth.js';
import { DEFAULTS } from '../../config/defaults.js';
import { type ExchangeOutcome, exchangeToken } from '../../exchange/exchange.js';
import { type FormFields, parseExchangeRequest } from '../../exchange/request.js';
import { clientInputFromForm } from '../client-input.js';
import { clientAuthDeps, endpointUrl, type HttpDeps } from '../deps.js';
import { readForm } from '../form.js';
import { sendJson } from '../respond.js';

/**
 * What POST /token decides once the form is read: authenticate, parse, exchange. Apart from the
 * socket so that the bench's in-process scenario runs exactly this, not a copy of it.
 */
export function tokenHandler(ctx: HttpDeps['ctx']) {
  const auth = clientAuthDeps(ctx, '/token');
  // RFC 9449 §4.3 rule 9: the endpoint's URL as the issuer names it (what the metadata says).
  const htu = endpointUrl(ctx, '/token');
  return async (headers: IncomingHttpHeaders, form: FormFields): Promise<ExchangeOutcome> => {
    const client = await authenticateClient(auth, clientInputFromForm(headers, form));
    const request = parseExchangeRequest(form, ctx.config.defaults.purposeMaxLength);
    return exchangeToken(ctx, client, request, {
      proofs: headers.dpop === undefined ? undefined : [headers.dpop].flat(),
      method: 'POST',
      url: htu,
    });
  };
}

/** POST /token — RFC 8693 token exchange (lean lane). */
export function tokenRoute(deps: HttpDeps) {
  const handle = tokenHandler(deps.ctx);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const out = await handle(req.headers, await readForm(req, DEFAULTS.maxBodyBytes));
    deps.metrics.issued.inc({ operation: out.operation });
    sendJson(res, 200, out.response);
  };
}
