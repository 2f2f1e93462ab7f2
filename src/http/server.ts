import { DEFAULTS } from '../config/defaults.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MethodNotAllowed } from '../errors.js';
import { StoreBudget } from '../store/deadline.js';
import { createApp } from './app.js';
import type { HttpDeps } from './deps.js';
import { sendError } from './errors.js';
import { introspectRoute } from './routes/introspect.js';
import { revokeRoute } from './routes/revoke.js';
import { tokenRoute } from './routes/token.js';

type Handler = (req: IncomingMessage, res: ServerResponse, budget: StoreBudget) => Promise<void>;

/**
 * One node:http server. The lean lane (/token, /introspect, /revoke) is served by small
 * handlers ahead of express: agents call /token before every tool call and resource servers
 * call /introspect on every request, and express costs ~4x node:http per request here
 * (docs/architecture.md). Everything else goes to the express app. Both lanes share the
 * error mapping (http/errors.ts) and the domain functions.
 */
export function createBatonServer(deps: HttpDeps): Server {
  const lean = new Map<string, Handler>([
    ['/token', tokenRoute(deps)],
    ['/introspect', introspectRoute(deps)],
    ['/revoke', revokeRoute(deps)],
  ]);
  const app = createApp(deps);
  const budgetMs = deps.ctx.config.store.requestTimeoutMs;
  const server = createServer((req, res) => {
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    const handler = lean.get(path);
    if (!handler) {
      app(req, res);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      sendError(
        res,
        Object.assign(new MethodNotAllowed(`${path} accepts POST only`), {
          headers: { Allow: 'POST' },
        }),
        deps.log,
        path,
      );
      return;
    }
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      deps.metrics.requests.inc({ route: path, status: res.statusCode });
      deps.metrics.duration.observe(
        { route: path },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    // One store budget for the whole request (src/store/deadline.ts).
    handler(req, res, new StoreBudget(budgetMs)).catch((err: unknown) =>
      sendError(res, err, deps.log, path),
    );
  });
  server.keepAliveTimeout = DEFAULTS.keepAliveTimeoutMs;
  return server;
}
