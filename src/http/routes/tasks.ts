import { DEFAULTS } from '../../config/defaults.js';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ClientAuthInput } from '../../auth/client-auth.js';
import { InvalidRequest } from '../../errors.js';
import { completeTaskByCaller } from '../../revocation/complete.js';
import { clientAuthenticator, endpointUrl, type HttpDeps, requestCtx } from '../deps.js';
import { renewTaskByCaller } from '../../exchange/task-renewal.js';

const CompleteBody = z
  .object({
    outcome: z.enum(['succeeded', 'failed', 'cancelled']),
    summary: z.string().max(DEFAULTS.taskSummaryMaxLength).optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
    client_assertion: z.string().optional(),
    client_assertion_type: z.string().optional(),
  })
  .strict();

const RenewBody = z
  .object({
    task_token: z.string().min(1),
    user_token: z.string().min(1),
    scope: z
      .string()
      .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'is malformed')
      .optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
    client_assertion: z.string().optional(),
    client_assertion_type: z.string().optional(),
  })
  .strict();

function bodyError(issues: z.core.$ZodIssue[]): InvalidRequest {
  return new InvalidRequest(
    `body: ${issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
  );
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export function clientInputFromJson(req: Request): ClientAuthInput {
  const b = (req.body ?? {}) as Record<string, unknown>;
  return {
    authorization: req.headers.authorization,
    clientId: str(b.client_id),
    clientSecret: str(b.client_secret),
    clientAssertion: str(b.client_assertion),
    clientAssertionType: str(b.client_assertion_type),
  };
}

/**
 * POST /tasks/{txn}/complete — the task's owner ends it; every token of the task dies.
 * POST /tasks/{txn}/renew — its current actor renews it with a fresh user token.
 * The routes authenticate and parse the body; who may do either is the domain's
 * (completeTaskByCaller in src/revocation/complete.ts, renewTaskByCaller in
 * src/exchange/task-renewal.ts).
 */
export function tasksRouter(deps: HttpDeps): Router {
  const r = Router();
  r.post('/tasks/:txn/complete', async (req, res) => {
    const txn = String(req.params.txn);
    // This endpoint's own URL: a client assertion's `aud` may name it (RFC 7523 §3), or the
    // issuer; nothing else (docs/endpoints.md). It is also the DPoP proof's `htu`.
    const path = `/tasks/${encodeURIComponent(txn)}/complete`;
    const ctx = requestCtx(deps.ctx, res);
    const authenticate = clientAuthenticator(ctx, path, '/tasks/complete');
    const client = await authenticate(clientInputFromJson(req), req.socket.remoteAddress);
    const parsed = CompleteBody.safeParse(req.body ?? {});
    if (!parsed.success) throw bodyError(parsed.error.issues);
    const ended = await completeTaskByCaller(
      ctx,
      client,
      txn,
      {
        outcome: parsed.data.outcome,
        ...(parsed.data.summary !== undefined ? { summary: parsed.data.summary } : {}),
      },
      { proofs: req.headersDistinct.dpop, method: 'POST', url: endpointUrl(ctx, path) },
    );
    res.set('Cache-Control', 'no-store').json({
      txn,
      status: ended.status,
      ...(ended.outcome ? { outcome: ended.outcome } : {}),
      tokens_ended: ended.alreadyEnded ? 0 : ended.tokens,
      already_ended: ended.alreadyEnded,
    });
  });
  r.post('/tasks/:txn/renew', async (req, res) => {
    const txn = String(req.params.txn);
    const path = `/tasks/${encodeURIComponent(txn)}/renew`;
    const ctx = requestCtx(deps.ctx, res);
    const authenticate = clientAuthenticator(ctx, path, '/tasks/renew');
    const client = await authenticate(clientInputFromJson(req), req.socket.remoteAddress);
    const parsed = RenewBody.safeParse(req.body ?? {});
    if (!parsed.success) throw bodyError(parsed.error.issues);
    const renewed = await renewTaskByCaller(
      ctx,
      client,
      {
        txn,
        taskToken: parsed.data.task_token,
        userToken: parsed.data.user_token,
        ...(parsed.data.scope ? { scope: parsed.data.scope.split(' ') } : {}),
      },
      { proofs: req.headersDistinct.dpop, method: 'POST', url: endpointUrl(ctx, path) },
    );
    res
      .set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' })
      .json({ ...renewed.response, txn, deadline: renewed.deadline });
  });
  return r;
}
