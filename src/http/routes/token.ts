import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULTS } from '../../config/defaults.js';
import { type ExchangeOutcome, exchangeToken } from '../../exchange/exchange.js';
import { type FormFields, parseExchangeRequest } from '../../exchange/request.js';
import { clientInputFromForm } from '../client-input.js';
import { clientAuthenticator, endpointUrl, type HttpDeps } from '../deps.js';
import { readForm } from '../form.js';
import { sendJson } from '../respond.js';
import { scoped } from '../../scope.js';
import type { StoreBudget } from '../../store/deadline.js';

/**
 * What POST /token decides once the form is read: authenticate, parse, exchange. Apart from the
 * socket so that the bench's in-process scenario runs exactly this, not a copy of it.
 */
export function tokenHandler(ctx: HttpDeps['ctx']) {
  const authenticate = clientAuthenticator(ctx, '/token', '/token');
  // RFC 9449 §4.3 rule 9: the endpoint's URL as the issuer names it (what the metadata says).
  const htu = endpointUrl(ctx, '/token');
  return async (
    headers: IncomingHttpHeaders,
    form: FormFields,
    address?: string,
    budget?: StoreBudget,
  ): Promise<ExchangeOutcome> => {
    const c = budget ? scoped(ctx, { budget }) : ctx;
    const client = await authenticate(clientInputFromForm(headers, form), address, c.store);
    const request = parseExchangeRequest(form, ctx.config.defaults.purposeMaxLength);
    return exchangeToken(c, client, request, {
      proofs: headers.dpop === undefined ? undefined : [headers.dpop].flat(),
      method: 'POST',
      url: htu,
    });
  };
}

/** POST /token — RFC 8693 token exchange (lean lane). */
export function tokenRoute(deps: HttpDeps) {
  const handle = tokenHandler(deps.ctx);
  return async (req: IncomingMessage, res: ServerResponse, budget: StoreBudget): Promise<void> => {
    const form = await readForm(req, DEFAULTS.maxBodyBytes);
    const out = await handle(req.headers, form, req.socket.remoteAddress, budget);
    deps.metrics.issued.inc({ operation: out.operation });
    sendJson(res, 200, out.response);
  };
}
