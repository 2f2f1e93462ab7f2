import { DEFAULTS } from '../../config/defaults.js';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ClientAuthInput } from '../../auth/client-auth.js';
import { InvalidRequest } from '../../errors.js';
import { completeTaskByCaller } from '../../revocation/complete.js';
import { clientAuthenticator, endpointUrl, type HttpDeps } from '../deps.js';

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
 * POST /tasks/{txn}/complete — the task's owner ends it; every token of the task dies. The route
 * authenticates and parses the body; who may complete is completeTaskByCaller's
 * (src/revocation/complete.ts).
 */
export function tasksRouter(deps: HttpDeps): Router {
  const r = Router();
  r.post('/tasks/:txn/complete', async (req, res) => {
    const txn = String(req.params.txn);
    // This endpoint's own URL: a client assertion's `aud` may name it (RFC 7523 §3), or the
    // issuer; nothing else (docs/endpoints.md). It is also the DPoP proof's `htu`.
    const path = `/tasks/${encodeURIComponent(txn)}/complete`;
    const authenticate = clientAuthenticator(deps.ctx, path, '/tasks/complete');
    const client = await authenticate(clientInputFromJson(req), req.socket.remoteAddress);
    const parsed = CompleteBody.safeParse(req.body ?? {});
    if (!parsed.success)
      throw new InvalidRequest(
        `body: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
      );
    const ended = await completeTaskByCaller(
      deps.ctx,
      client,
      txn,
      {
        outcome: parsed.data.outcome,
        ...(parsed.data.summary !== undefined ? { summary: parsed.data.summary } : {}),
      },
      { proofs: req.headersDistinct.dpop, method: 'POST', url: endpointUrl(deps.ctx, path) },
    );
    res.set('Cache-Control', 'no-store').json({
      txn,
      status: ended.status,
      ...(ended.outcome ? { outcome: ended.outcome } : {}),
      tokens_ended: ended.alreadyEnded ? 0 : ended.tokens,
      already_ended: ended.alreadyEnded,
    });
  });
  return r;
}
