import { DEFAULTS } from '../../config/defaults.js';
import { Router } from 'express';
import { z } from 'zod';
import { InvalidRequest, NotFound } from '../../errors.js';
import { endTask, revokeByMark, revokeTokenTree } from '../../revocation/revoke.js';
import { buildTree } from '../../revocation/tree.js';
import { verifyOwnToken } from '../../tokens/verify-own.js';
import { requireAdmin } from '../admin-auth.js';
import type { HttpDeps } from '../deps.js';
import { epochSeconds } from '../../clock.js';

const RevokeTokenBody = z.object({ token: z.string().min(1) }).strict();
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
    const tree = await ctx.store.getTaskTree(String(req.params.txn));
    if (!tree) throw new NotFound('no such task (unknown, or past its deadline)');
    res.json({ task: tree.task, tokens: buildTree(tree, ctx.marks), revoked: tree.revoked });
  });

  r.get('/admin/tasks/:txn/events', async (req, res) => {
    await ctx.audit.flush();
    const rows = await ctx.store.readTaskAudit(String(req.params.txn), DEFAULTS.auditTaskReadMax);
    // Issued-token events are filed with the token, the rest in batches: order by decision time
    // (a stable sort keeps the stream order for events of the same millisecond).
    const events = rows
      .map((r) => ({ id: r.id, ...(JSON.parse(r.json) as { time: number }) }))
      .sort((a, b) => a.time - b.time);
    res.json({ txn: req.params.txn, events });
  });

  // Pages through every event: `since` is the last id seen (exclusive), `next` the cursor to pass on.
  r.get('/admin/events', async (req, res) => {
    const since =
      typeof req.query.since === 'string' && req.query.since !== '' ? req.query.since : undefined;
    if (since !== undefined && !/^\d+(-\d+)?$/.test(since))
      throw new InvalidRequest('since must be an event id');
    const limit = req.query.limit === undefined ? DEFAULTS.auditPageSize : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > DEFAULTS.auditPageMax)
      throw new InvalidRequest('limit must be an integer from 1 to 1000');
    await ctx.audit.flush();
    const rows = await ctx.store.readAudit(since, limit);
    const events = rows.map((r) => ({ id: r.id, ...(JSON.parse(r.json) as object) }));
    res.json({ events, next: rows.length === limit ? rows[rows.length - 1]!.id : null });
  });

  r.post('/admin/tasks/:txn/revoke', async (req, res) => {
    const txn = String(req.params.txn);
    const ended = await endTask(ctx, txn, 'revoked', 'admin');
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
    if (claims) await revokeTokenTree(ctx, claims, 'admin');
    log.info({ op: 'revoke_token', by: 'admin', jti: claims?.jti }, 'token revoked');
    res.json({
      revoked: 'token',
      ...(claims
        ? { txn: claims.txn, jti: claims.jti }
        : { note: 'not a live Baton token; nothing to revoke' }),
    });
  });

  for (const kind of ['agent', 'user'] as const) {
    r.post(`/admin/${kind}s/:id/revoke`, async (req, res) => {
      const id = String(req.params.id);
      const before = await revokeByMark(ctx, kind, 'admin', id);
      log.info({ op: `revoke_${kind}`, by: 'admin', id }, `${kind} revoked`);
      res.json({ revoked: kind, id, before });
    });
  }

  r.get('/admin/approvals', async (_req, res) => {
    const pending = await ctx.store.listApprovals(epochSeconds());
    res.json({ approvals: pending.map(({ binding: _b, ...shown }) => shown) });
  });

  r.get('/admin/approvals/:id', async (req, res) => {
    const rec = await ctx.store.getApproval(String(req.params.id));
    if (!rec) throw new NotFound('no such approval');
    const { binding: _b, ...shown } = rec;
    res.json(shown);
  });

  for (const verdict of ['approve', 'deny'] as const) {
    r.post(`/admin/approvals/:id/${verdict}`, async (req, res) => {
      const body = DecisionBody.safeParse(req.body ?? {});
      if (!body.success)
        throw new InvalidRequest('body may only hold {"reason": "<text up to 500 chars>"}');
      const id = String(req.params.id);
      const now = epochSeconds();
      const rec = await ctx.store.getApproval(id);
      if (!rec) throw new NotFound('no such approval');
      if (rec.expiresAt <= now) throw new InvalidRequest('this approval request has lapsed');
      const status = verdict === 'approve' ? 'approved' : 'denied';
      if (!(await ctx.store.decideApproval(id, status, 'admin', body.data.reason, now)))
        throw new InvalidRequest(`this approval was already decided (${rec.status})`);
      ctx.audit.emit({
        type: 'approval_decided',
        txn: rec.txn,
        act: rec.act,
        sub: rec.sub,
        client: 'admin',
        decision: status === 'approved' ? 'allow' : 'deny',
        detail: {
          approval_id: id,
          tool: rec.tool,
          scope: rec.scope,
          ...(body.data.reason ? { reason: body.data.reason } : {}),
        },
      });
      res.json({ id, status, ...(body.data.reason ? { reason: body.data.reason } : {}) });
    });
  }

  r.post('/admin/revoke-all', async (_req, res) => {
    const before = await revokeByMark(ctx, 'all', 'admin');
    log.warn(
      { op: 'revoke_all', by: 'admin' },
      'kill switch: every token issued before now revoked',
    );
    res.json({ revoked: 'all', before });
  });
  return r;
}
