import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateClient } from '../../auth/client-auth.js';
import { DEFAULTS } from '../../config/defaults.js';
import { InvalidRequest } from '../../errors.js';
import { single } from '../../exchange/request.js';
import { introspect } from '../../introspection/introspect.js';
import { clientInputFromForm } from '../client-input.js';
import { clientAuthDeps, type HttpDeps } from '../deps.js';
import { readForm } from '../form.js';
import { sendJson } from '../respond.js';

/** POST /introspect — RFC 7662, for tools' resource servers (lean lane). */
export function introspectRoute(deps: HttpDeps) {
  const auth = clientAuthDeps(deps.ctx, '/introspect');
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const form = await readForm(req, DEFAULTS.maxBodyBytes);
    const client = await authenticateClient(auth, clientInputFromForm(req.headers, form));
    const token = single(form, 'token');
    single(form, 'token_type_hint'); // optional; a repeat is still malformed
    if (!token) throw new InvalidRequest('token is required');
    sendJson(res, 200, await introspect(deps.ctx, client, token));
  };
}
