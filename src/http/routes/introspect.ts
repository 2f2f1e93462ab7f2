import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULTS } from '../../config/defaults.js';
import { InvalidRequest } from '../../errors.js';
import { single } from '../../exchange/request.js';
import { introspect } from '../../introspection/introspect.js';
import { clientInputFromForm } from '../client-input.js';
import { clientAuthenticator, type HttpDeps } from '../deps.js';
import { readForm } from '../form.js';
import type { FormFields } from '../../exchange/request.js';
import { sendJson } from '../respond.js';
import { scoped } from '../../scope.js';
import type { StoreBudget } from '../../store/deadline.js';

/** What POST /introspect answers once the form is read (the bench runs this in process). */
export function introspectHandler(ctx: HttpDeps['ctx']) {
  const authenticate = clientAuthenticator(ctx, '/introspect', '/introspect');
  return async (
    headers: IncomingHttpHeaders,
    form: FormFields,
    address?: string,
    budget?: StoreBudget,
  ) => {
    const c = budget ? scoped(ctx, { budget }) : ctx;
    const client = await authenticate(clientInputFromForm(headers, form), address, c.store);
    const token = single(form, 'token');
    single(form, 'token_type_hint'); // optional; a repeat is still malformed
    if (!token) throw new InvalidRequest('token is required');
    return introspect(c, client, token);
  };
}

/** POST /introspect — RFC 7662, for tools' resource servers (lean lane). */
export function introspectRoute(deps: HttpDeps) {
  const handle = introspectHandler(deps.ctx);
  return async (req: IncomingMessage, res: ServerResponse, budget: StoreBudget): Promise<void> => {
    const form = await readForm(req, DEFAULTS.maxBodyBytes);
    sendJson(res, 200, await handle(req.headers, form, req.socket.remoteAddress, budget));
  };
}
