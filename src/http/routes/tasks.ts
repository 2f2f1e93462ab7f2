import { DEFAULTS } from '../../config/defaults.js';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ClientAuthInput } from '../../auth/client-auth.js';
import { InvalidRequest, UnauthorizedClient } from '../../errors.js';
import { completeTask } from '../../revocation/revoke.js';
import { clientAuthenticator, endpointUrl, type HttpDeps } from '../deps.js';
import { verifyDpopProof } from '../../auth/dpop.js';

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

/** POST /tasks/{txn}/complete — the task's owner ends it; every token of the task dies. */
export function tasksRouter(deps: HttpDeps): Router {
  const r = Router();
  r.post('/tasks/:txn/complete', async (req, res) => {
    // RFC 7523: an assertion's audience is the issuer or this endpoint's own URL.
    const authenticate = clientAuthenticator(
      deps.ctx,
      `/tasks/${encodeURIComponent(String(req.params.txn))}/complete`,
      '/tasks/complete',
    );
    const client = await authenticate(clientInputFromJson(req), req.socket.remoteAddress);
    if (client.kind !== 'agent')
      throw new UnauthorizedClient(`client ${client.id} is not an agent`);
    const parsed = CompleteBody.safeParse(req.body ?? {});
    if (!parsed.success)
      throw new InvalidRequest(
        `body: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
      );
    const txn = String(req.params.txn);
    const proof = await verifyDpopProof(deps.ctx.dpop, {
      proofs: req.headersDistinct.dpop,
      method: 'POST',
      url: endpointUrl(deps.ctx, `/tasks/${encodeURIComponent(txn)}/complete`),
    });
    const ended = await completeTask(
      deps.ctx,
      client.id,
      txn,
      parsed.data.outcome,
      parsed.data.summary,
      proof,
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
