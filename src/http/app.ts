import { DEFAULTS } from '../config/defaults.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import { InvalidRequest, NotFound, PayloadTooLarge } from '../errors.js';
import { StoreBudget } from '../store/deadline.js';
import type { HttpDeps } from './deps.js';
import { sendError } from './errors.js';
import { adminRouter } from './routes/admin.js';
import { adminConsoleApiRouter } from './routes/admin-console-api.js';
import { consoleRouter } from './routes/console.js';
import { feedRouter } from './routes/feed.js';
import { fromPathDecodingError, requireDecodablePath } from './path.js';
import { metadata } from './routes/metadata.js';
import { tasksRouter } from './routes/tasks.js';

/** The express app: everything but the lean lane (metadata, JWKS, health, tasks, admin, feed). */
export function createApp(deps: HttpDeps): express.Express {
  const { ctx } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requireDecodablePath);
  app.use(express.json({ limit: '16kb' }));
  app.use(express.urlencoded({ extended: false, limit: '16kb' }));
  // One store budget per request (src/store/deadline.ts); routes reach it through requestCtx.
  const budgetMs = ctx.config.store.requestTimeoutMs;
  app.use((_req, res, next) => {
    res.locals.budget = new StoreBudget(budgetMs);
    next();
  });

  app.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res
      .set('Cache-Control', `public, max-age=${DEFAULTS.jwksMaxAgeSeconds}`)
      .json(metadata(ctx.config, [...new Set(ctx.keys.published().map((k) => k.alg))]));
  });
  app.get('/jwks', (_req, res) => {
    // Short cache: a staged key must reach verifiers before it signs.
    res
      .set('Cache-Control', 'public, max-age=60')
      .type('application/jwk-set+json')
      .send(JSON.stringify(ctx.keys.jwks()));
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await ctx.store.ping();
    } catch {
      res
        .status(503)
        .json({ status: 'unavailable', store: 'down', marks_fresh: ctx.marks.isFresh() });
      return;
    }
    const fresh = ctx.marks.isFresh();
    res.status(fresh ? 200 : 503).json({
      status: fresh ? 'ready' : 'unavailable',
      store: 'up',
      marks_fresh: fresh,
      policy_version: ctx.policy?.version ?? null,
    });
  });

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.use(tasksRouter(deps));
  app.use(feedRouter(deps));
  app.use(adminRouter(deps));
  // After adminRouter: its requireAdmin authenticates every /admin request first.
  app.use(adminConsoleApiRouter(deps));
  app.use(consoleRouter(deps));

  app.use((req: Request) => {
    throw new NotFound(`no route for ${req.method} ${req.path}`);
  });
  // express's body parsers throw their own errors; give them the RFC shape too.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large')
      return sendError(res, new PayloadTooLarge(DEFAULTS.maxBodyBytes), deps.log, req.path);
    if (e?.type === 'entity.parse.failed')
      return sendError(
        res,
        new InvalidRequest('request body is not valid JSON'),
        deps.log,
        req.path,
      );
    sendError(res, fromPathDecodingError(err) ?? err, deps.log, req.path);
  });
  return app;
}
