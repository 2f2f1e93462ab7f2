import { longestTaskSeconds } from '../../config/task-lifetime.js';
import { Router, type Response } from 'express';
import { AdminActivity } from '../../admin/activity.js';
import { listAgents } from '../../admin/agents.js';
import { describeKeys } from '../../admin/keys.js';
import { readOverview } from '../../admin/overview.js';
import { listTasks, type TaskFilter } from '../../admin/task-list.js';
import { epochSeconds } from '../../clock.js';
import { DEFAULTS } from '../../config/defaults.js';
import { InvalidRequest, NotFound } from '../../errors.js';
import { revokeTokenTree } from '../../revocation/revoke.js';
import { type BatonClaims, nestActors } from '../../tokens/claims.js';
import type { SessionRecord, TaskStatus, TokenRecord } from '../../store/types.js';
import { adminOf } from '../admin-auth.js';
import { type HttpDeps, requestCtx } from '../deps.js';

const one = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function pageLimit(v: unknown, fallback: number, max: number): number {
  const limit = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw new InvalidRequest(`limit must be an integer from 1 to ${max}`);
  return limit;
}

const STATUSES: readonly TaskStatus[] = ['open', 'completed', 'revoked'];

/** GET /admin/tasks's query, checked: every bad value is a 400 that names it. */
function taskFilter(q: Record<string, unknown>): TaskFilter {
  const status = one(q.status);
  if (status !== undefined && !STATUSES.includes(status as TaskStatus))
    throw new InvalidRequest('status must be open, completed or revoked');
  const since = one(q.since);
  if (since !== undefined && !/^\d{1,12}$/.test(since))
    throw new InvalidRequest('since must be epoch seconds');
  const text = (name: string) => {
    const v = one(q[name]);
    if (v !== undefined && v.length > 500) throw new InvalidRequest(`${name} is too long`);
    return v;
  };
  const [agent, user, search] = [text('agent'), text('user'), text('q')];
  return {
    ...(status ? { status: status as TaskStatus } : {}),
    ...(since ? { since: Number(since) } : {}),
    ...(agent ? { agent } : {}),
    ...(user ? { user } : {}),
    ...(search ? { q: search } : {}),
  };
}

/**
 * The admin API's reads for the console and the CLI (docs/admin-api.md): the task list, agents,
 * the header's counts, keys, who is signed in, and a live stream of changes. Mounted after
 * adminRouter, whose requireAdmin has authenticated the caller (adminOf fails closed if not).
 */
export function adminConsoleApiRouter(deps: HttpDeps): Router {
  const { ctx, log } = deps;
  const r = Router();
  const activity = new AdminActivity(
    { store: ctx.store, audit: ctx.audit },
    { pollMs: DEFAULTS.adminStreamPollMs, batch: DEFAULTS.auditPageMax },
  );
  const listDeps = {
    store: ctx.store,
    marks: ctx.marks,
    issuer: ctx.config.issuer,
    // Renewal lets a task run up to taskMaxSeconds: the list looks back that far.
    maxTaskSeconds: longestTaskSeconds(ctx.config),
  };

  r.get('/admin/tasks', async (req, res) => {
    adminOf(res);
    const cursor = one(req.query.cursor);
    if (cursor !== undefined && !/^[A-Za-z0-9_-]{1,1000}$/.test(cursor))
      throw new InvalidRequest('cursor must be the next value of a previous page');
    const limit = pageLimit(req.query.limit, DEFAULTS.taskPageSize, DEFAULTS.taskPageMax);
    const page = await listTasks(
      { ...listDeps, store: requestCtx(ctx, res).store },
      taskFilter(req.query),
      cursor,
      limit,
      DEFAULTS.taskScanMax,
    );
    res.json({ tasks: page.tasks, next: page.next });
  });

  r.get('/admin/agents', async (_req, res) => {
    adminOf(res);
    const ids = ctx.config.agents.map((a) => a.id);
    res.json(
      await listAgents(
        { ...listDeps, store: requestCtx(ctx, res).store },
        ids,
        DEFAULTS.agentsScanMax,
      ),
    );
  });

  r.get('/admin/overview', async (_req, res) => {
    adminOf(res);
    res.json(
      await readOverview(
        { store: requestCtx(ctx, res).store, activity, maxTaskSeconds: listDeps.maxTaskSeconds },
        DEFAULTS.approvalPageMax,
      ),
    );
  });

  r.get('/admin/keys', (_req, res) => {
    adminOf(res);
    res.json({ keys: describeKeys(ctx.keys, epochSeconds()) });
  });

  r.get('/admin/policy/status', (_req, res) => {
    adminOf(res);
    const err = ctx.policy?.lastReloadError;
    res.json({
      version: ctx.policy?.version ?? null,
      last_reload_error: err ? { at: err.at, problems: err.problems } : null,
    });
  });

  // Who is signed in, and (for a console session) the CSRF token its requests must carry.
  r.get('/admin/session', (_req, res) => {
    const actor = adminOf(res);
    const s = res.locals.session as SessionRecord | undefined;
    res.json({
      admin: actor.name,
      role: actor.role,
      via: actor.via,
      ...(s ? { login: s.via, csrf: s.csrf, expires_at: s.expiresAt } : {}),
    });
  });

  // Server-Sent Events: a `change` event per task or approval change, from the audit trail.
  r.get('/admin/stream', async (req, res: Response) => {
    adminOf(res);
    await activity.start();
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 3000\n: connected\n\n`);
    const off = activity.subscribe((c) =>
      res.write(`event: change\ndata: ${JSON.stringify(c)}\n\n`),
    );
    const beat = setInterval(() => res.write(': heartbeat\n\n'), DEFAULTS.feedHeartbeatMs);
    beat.unref();
    req.on('close', () => {
      off();
      clearInterval(beat);
    });
  });

  // Revokes one token of a task (and its descendants) by its jti, as the console knows it; the
  // same revocation as POST /admin/tokens/revoke, without the token itself.
  r.post('/admin/tasks/:txn/tokens/:jti/revoke', async (req, res) => {
    adminOf(res);
    const txn = String(req.params.txn);
    const jti = String(req.params.jti);
    const rc = requestCtx(ctx, res);
    const tree = await rc.store.getTaskTree(txn);
    const rec = tree?.tokens.find((t) => t.jti === jti);
    if (!tree || !rec) throw new NotFound('no such token in a live task');
    await revokeTokenTree(rc, claimsOfRecord(tree.task.sub, rec), 'admin');
    log.info({ op: 'revoke_token', by: 'admin', txn, jti }, 'token revoked');
    res.json({ revoked: 'token', txn, jti });
  });

  return r;
}

/** The claims revokeTokenTree reads, rebuilt from the token's record (RFC 8693 §4.1 `act`). */
function claimsOfRecord(sub: string, rec: TokenRecord): BatonClaims {
  return {
    txn: rec.txn,
    jti: rec.jti,
    sub,
    aud: rec.aud,
    act: nestActors(rec.actors),
  } as BatonClaims;
}
