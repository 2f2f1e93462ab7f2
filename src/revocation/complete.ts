import type { Client } from '../auth/clients.js';
import { type DpopDeps, type DpopRequest, verifyDpopProof } from '../auth/dpop.js';
import { requireProofFor } from '../auth/dpop-holder.js';
import { AccessDenied, NotFound, UnauthorizedClient } from '../errors.js';
import type { Outcome } from '../store/store.js';
import { endTask, type RevocationDeps, type TaskEnded, write } from './revoke.js';

/** What completing a task uses: revocation's stores and the DPoP proof checks. */
export interface CompletionDeps extends RevocationDeps {
  dpop: DpopDeps;
}

/**
 * POST /tasks/{txn}/complete for an authenticated caller: only an agent holds tasks (a resource
 * server is `unauthorized_client`), and only the agent that started this one may end it. The
 * DPoP proof, if any, is checked (and its jti recorded) before the task is read.
 */
export async function completeTaskByCaller(
  deps: CompletionDeps,
  client: Client,
  txn: string,
  end: { outcome: Outcome; summary?: string },
  dpop: DpopRequest,
): Promise<TaskEnded> {
  if (client.kind !== 'agent') throw new UnauthorizedClient(`client ${client.id} is not an agent`);
  const proof = await verifyDpopProof(deps.dpop, dpop);
  const task = await write(() => deps.store.getTask(txn));
  if (!task) throw new NotFound('no such task');
  if (task.owner !== client.id)
    throw new AccessDenied('only the agent that started the task may complete it', {
      status: 403,
    });
  // RFC 9449 §6: a task started bound is completed with a proof by the key it was started with.
  requireProofFor(task.jkt, proof, 'this task');
  return endTask(deps, txn, 'completed', client.id, end.outcome, end.summary);
}
