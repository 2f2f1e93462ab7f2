import { DEFAULTS } from '../../config/defaults.js';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ClientAuthInput } from '../../auth/client-auth.js';
import { InvalidRequest, UnauthorizedClient } from '../../errors.js';
import { completeTask } from '../../revocation/revoke.js';
import { clientAuthenticator, endpointUrl, type HttpDeps } from '../deps.js';
import { verifyDpopProof } from '../../auth/dpop.js';
import { requireProofOfAgent } from '../../exchange/binding.js';
import { renewTask } from '../../exchange/task-renewal.js';

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
 */
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
    if (!parsed.success) throw bodyError(parsed.error.issues);
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
  r.post('/tasks/:txn/renew', async (req, res) => {
    const txn = String(req.params.txn);
    const path = `/tasks/${encodeURIComponent(txn)}/renew`;
    const authenticate = clientAuthenticator(deps.ctx, path, '/tasks/renew');
    const client = await authenticate(clientInputFromJson(req), req.socket.remoteAddress);
    if (client.kind !== 'agent')
      throw new UnauthorizedClient(`client ${client.id} is not an agent`);
    const parsed = RenewBody.safeParse(req.body ?? {});
    if (!parsed.success) throw bodyError(parsed.error.issues);
    const proof = await verifyDpopProof(deps.ctx.dpop, {
      proofs: req.headersDistinct.dpop,
      method: 'POST',
      url: endpointUrl(deps.ctx, path),
    });
    requireProofOfAgent(
      client.id,
      (client.agent.dpop ?? deps.ctx.config.dpop.agents) === 'required',
      proof,
    );
    const renewed = await renewTask(
      deps.ctx,
      client.agent,
      {
        txn,
        taskToken: parsed.data.task_token,
        userToken: parsed.data.user_token,
        ...(parsed.data.scope ? { scope: parsed.data.scope.split(' ') } : {}),
      },
      proof,
    );
    res
      .set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' })
      .json({ ...renewed.response, txn, deadline: renewed.deadline });
  });
  return r;
}
