import { DEFAULTS } from '../../config/defaults.js';
import { Router } from 'express';
import { z } from 'zod';
import { InvalidRequest, NotFound } from '../../errors.js';
import { endTask, revokeByMark, revokeTokenTree } from '../../revocation/revoke.js';
import { revokeAgent } from '../../revocation/agent.js';
import { readTaskTree } from '../../revocation/tree.js';
import { decidePendingApproval, listPendingApprovals, showApproval } from '../../approval/admin.js';
import { readEventsPage, readTaskEvents } from '../../audit/read.js';
import { verifyOwnToken } from '../../tokens/verify-own.js';
import { requireAdmin } from '../admin-auth.js';
import { type HttpDeps, requestCtx } from '../deps.js';

const queryString = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

/** `limit` of a paged read: absent is `fallback`, else an integer from 1 to `max`. */
function pageLimit(v: unknown, fallback: number, max: number): number {
  const limit = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw new InvalidRequest(`limit must be an integer from 1 to ${max}`);
  return limit;
}

const RevokeTokenBody = z.object({ token: z.string().min(1) }).strict();
const AgentRevokeBody = z.object({ allow_unknown: z.boolean().optional() }).strict();
const DecisionBody = z
  .object({ reason: z.string().max(DEFAULTS.approvalReasonMaxLength).optional() })
  .strict();

/** /admin — revocation and task inspection, behind an admin key. */
export function adminRouter(deps: HttpDeps): Router {
  const { ctx, log } = deps;
  const r = Router();
  r.use('/admin', requireAdmin(ctx));

  r.get('/admin/policy', (_req, res) => {
    const p = ctx.policy?.current();
    res.json({
      cedar: p
        ? {
            version: p.version,
            policies: p.ids,
            reads_time: p.readsTime,
            reads_authorization_details: p.readsDetails,
          }
        : null,
    });
  });

  r.get('/admin/tasks/:txn', async (req, res) => {
    const tree = await readTaskTree(requestCtx(ctx, res), String(req.params.txn));
    if (!tree) throw new NotFound('no such task (unknown, or past its deadline)');
    res.json(tree);
  });

  r.get('/admin/tasks/:txn/events', async (req, res) => {
    const txn = String(req.params.txn);
    res.json({
      txn,
      events: await readTaskEvents(requestCtx(ctx, res), txn, DEFAULTS.auditTaskReadMax),
    });
  });

  // Pages through every event: `since` is the last id seen (exclusive), `next` the cursor to
  // pass on. Decisions by default; `stream=refusals` pages the refusals, bounded apart.
  r.get('/admin/events', async (req, res) => {
    const since = queryString(req.query.since);
    if (since !== undefined && !/^\d+(-\d+)?$/.test(since))
      throw new InvalidRequest('since must be an event id');
    const stream = queryString(req.query.stream) ?? 'decisions';
    if (stream !== 'decisions' && stream !== 'refusals')
      throw new InvalidRequest('stream must be decisions or refusals');
    const limit = pageLimit(req.query.limit, DEFAULTS.auditPageSize, DEFAULTS.auditPageMax);
    res.json(await readEventsPage(requestCtx(ctx, res), stream, since, limit));
  });

  r.post('/admin/tasks/:txn/revoke', async (req, res) => {
    const txn = String(req.params.txn);
    const ended = await endTask(requestCtx(ctx, res), txn, 'revoked', 'admin');
    log.info({ op: 'revoke_task', by: 'admin', txn, tokens: ended.tokens }, 'task revoked');
    res.json({
      revoked: 'task',
      txn,
      status: ended.status,
      tokens_ended: ended.alreadyEnded ? 0 : ended.tokens,
      already_ended: ended.alreadyEnded,
    });
  });

  r.post('/admin/tokens/revoke', async (req, res) => {
    const body = RevokeTokenBody.safeParse(req.body ?? {});
    if (!body.success) throw new InvalidRequest('body must be {"token": "<a Baton token>"}');
    const claims = await verifyOwnToken(ctx.own, body.data.token, 'token').catch(() => undefined);
    if (claims) await revokeTokenTree(requestCtx(ctx, res), claims, 'admin');
    log.info({ op: 'revoke_token', by: 'admin', jti: claims?.jti }, 'token revoked');
    res.json({
      revoked: 'token',
      ...(claims
        ? { txn: claims.txn, jti: claims.jti }
        : { note: 'not a live Baton token; nothing to revoke' }),
    });
  });

  r.post('/admin/agents/:id/revoke', async (req, res) => {
    const body = AgentRevokeBody.safeParse(req.body ?? {});
    if (!body.success)
      throw new InvalidRequest('body may only hold {"allow_unknown": true | false}');
    const id = String(req.params.id);
    const { before, configured } = await revokeAgent(requestCtx(ctx, res), id, 'admin', {
      allowUnknown: body.data.allow_unknown === true,
    });
    log.info({ op: 'revoke_agent', by: 'admin', id, configured }, 'agent revoked');
    res.json({ revoked: 'agent', id, before, configured });
  });

  r.post('/admin/users/:id/revoke', async (req, res) => {
    const id = String(req.params.id);
    const before = await revokeByMark(requestCtx(ctx, res), 'user', 'admin', id);
    log.info({ op: 'revoke_user', by: 'admin', id }, 'user revoked');
    res.json({ revoked: 'user', id, before });
  });

  // Pages through every pending approval: `cursor` is the `next` of the page before.
  r.get('/admin/approvals', async (req, res) => {
    const cursor = queryString(req.query.cursor);
    if (cursor !== undefined && !/^[A-Za-z0-9_-]{1,1000}$/.test(cursor))
      throw new InvalidRequest('cursor must be the next value of a previous page');
    const limit = pageLimit(req.query.limit, DEFAULTS.approvalPageSize, DEFAULTS.approvalPageMax);
    res.json(await listPendingApprovals(requestCtx(ctx, res), cursor, limit));
  });

  r.get('/admin/approvals/:id', async (req, res) => {
    res.json(await showApproval(requestCtx(ctx, res), String(req.params.id)));
  });

  for (const verdict of ['approve', 'deny'] as const) {
    r.post(`/admin/approvals/:id/${verdict}`, async (req, res) => {
      const body = DecisionBody.safeParse(req.body ?? {});
      if (!body.success)
        throw new InvalidRequest('body may only hold {"reason": "<text up to 500 chars>"}');
      res.json(
        await decidePendingApproval(
          requestCtx(ctx, res),
          String(req.params.id),
          verdict,
          body.data.reason,
        ),
      );
    });
  }

  r.post('/admin/revoke-all', async (_req, res) => {
    const before = await revokeByMark(requestCtx(ctx, res), 'all', 'admin');
    log.warn(
      { op: 'revoke_all', by: 'admin' },
      'kill switch: every token issued before now revoked',
    );
    res.json({ revoked: 'all', before });
  });
  return r;
}
