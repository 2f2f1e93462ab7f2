import { type DpopRequest, type VerifiedProof, verifyDpopProof } from '../auth/dpop.js';
import type { Client } from '../auth/clients.js';
import { epochSeconds } from '../clock.js';
import type { AgentConfig } from '../config/schema.js';
import { longestTaskSeconds } from '../config/task-lifetime.js';
import {
  BatonError,
  InvalidRequest,
  TemporarilyUnavailable,
  UnauthorizedClient,
} from '../errors.js';
import { grantScopes, intersect } from '../policy/ceilings.js';
import { checkPolicy, withCedar } from '../policy/decide.js';
import {
  actorChain,
  type BatonClaims,
  joinScope,
  pickUserClaims,
  splitScope,
} from '../tokens/claims.js';
import { confirmationOf, requireProofFor, requireProofOfAgent } from './binding.js';
import type { ExchangeDeps } from './deps.js';
import type { ExchangeResponse } from './exchange.js';
import { renewAndSign } from './issue.js';
import { TOKEN_TYPE_ACCESS } from '../tokens/claims.js';
import { verifySubject } from './subject.js';
import { assertMayAct } from './task-start.js';

/** What a renewal presents (docs/endpoints.md, "POST /tasks/{txn}/renew"). */
export interface RenewalRequest {
  /** The task id of the URL. */
  txn: string;
  /** The caller's current task token. */
  taskToken: string;
  /** A fresh access token of the same user from the same trusted issuer. */
  userToken: string;
  /** Optional narrowing (RFC 6749 §3.3); never wider than task ∩ fresh token. */
  scope?: string[];
}

/**
 * Renewal of a long task: its current actor presents its task token and a fresh user token of
 * the same issuer and subject; the answer is a new task token of the same task, and the task's
 * deadline moves to min(fresh `exp`, now + `taskTtlSeconds`, start + `taskMaxSeconds`)
 * (invariant 2: the deadline moves only here, never past `taskMaxSeconds`). Tokens already
 * issued keep their `exp`. Scope is task ∩ fresh token; Cedar re-decides; a mark or revocation
 * that covers the task refuses it (verifySubject and the store's atomic step).
 */
export async function renewTaskByCaller(
  ctx: ExchangeDeps,
  client: Client,
  req: RenewalRequest,
  dpop: DpopRequest,
): Promise<{ response: ExchangeResponse; deadline: number }> {
  if (client.kind !== 'agent') throw new UnauthorizedClient(`client ${client.id} is not an agent`);
  const proof = await verifyDpopProof(ctx.dpop, dpop);
  requireProofOfAgent(
    client.id,
    (client.agent.dpop ?? ctx.config.dpop.agents) === 'required',
    proof,
  );
  return renewTask(ctx, client.agent, req, proof);
}

async function renewTask(
  ctx: ExchangeDeps,
  caller: AgentConfig,
  req: RenewalRequest,
  proof: VerifiedProof | undefined,
): Promise<{ response: ExchangeResponse; deadline: number }> {
  const seen: { task?: BatonClaims } = {};
  try {
    return await renew(ctx, caller, req, proof, seen);
  } catch (err) {
    // A refusal is an audit event with its rule, as at /token; filed under the task only once
    // the task token was verified (a URL's txn alone must not write into a task's story).
    if (err instanceof BatonError && err.status < 500)
      ctx.audit.emit({
        type: 'exchange_refused',
        ...(seen.task
          ? { txn: seen.task.txn, act: actorChain(seen.task.act), sub: seen.task.sub }
          : {}),
        client: caller.id,
        decision: 'deny',
        ...(err.rule ? { rule: err.rule } : {}),
        error: err.code,
        reason: err.description,
        detail: { operation: 'renew_task' },
      });
    throw err;
  }
}

async function renew(
  ctx: ExchangeDeps,
  caller: AgentConfig,
  req: RenewalRequest,
  proof: VerifiedProof | undefined,
  seen: { task?: BatonClaims },
): Promise<{ response: ExchangeResponse; deadline: number }> {
  const subject = await verifySubject(ctx, req.taskToken);
  if (subject.kind !== 'task') throw new InvalidRequest('task_token is not a Baton task token');
  const task = subject.claims;
  seen.task = task;
  if (task.txn !== req.txn) throw new InvalidRequest('task_token belongs to another task');
  if (task.act.sub !== caller.id)
    throw new InvalidRequest(`task_token's current actor is ${task.act.sub}, not ${caller.id}`);
  const jkt = confirmationOf(task.cnf, 'task_token');
  requireProofFor(jkt, proof, 'task_token');

  const user = await ctx.upstream.verify(req.userToken, 'user_token');
  requireProofFor(confirmationOf(user.claims.cnf, 'user_token'), proof, 'user_token');
  // The same person, vouched for by the same issuer (sub carries the issuer's prefix already).
  if (user.sub !== task.sub || (task.task?.user.iss ?? user.iss) !== user.iss)
    throw new InvalidRequest('user_token is not of the task\u2019s user and issuer');
  // The fresh consent may name who may act on it, as at the task's start: the renewing actor.
  assertMayAct(user, caller.id, ctx.config.issuer, 'user_token');

  const record = await readTask(ctx, task.txn);
  if (!record) throw new InvalidRequest('task_token belongs to a task Baton no longer knows');
  const now = epochSeconds();
  // A task token never lives longer than taskTtlSeconds (signing keys are retired after that).
  const deadline = Math.min(
    user.exp,
    now + ctx.config.defaults.taskTtlSeconds,
    record.createdAt + longestTaskSeconds(ctx.config),
  );
  if (deadline <= record.deadline)
    throw new InvalidRequest(
      deadline === record.createdAt + longestTaskSeconds(ctx.config)
        ? `the task has reached defaults.taskMaxSeconds (${longestTaskSeconds(ctx.config)} s from its start)`
        : 'user_token expires no later than the task\u2019s deadline; nothing to renew',
    );

  // The actor's ceiling of the config in force, as at start and hand-off: a scope taken from the
  // agent since the task began is not carried into the task's renewed lifetime.
  const scopes = grantScopes(
    req.scope,
    intersect(intersect(splitScope(task.scope), user.scope), caller.taskScopes),
    `task scope ∩ user_token scope ∩ agents[${caller.id}].taskScopes`,
  );
  const userClaims = pickUserClaims(user.iss, user.claims);
  const act = actorChain(task.act);
  const purpose = task.task?.purpose;
  const policy = checkPolicy(ctx.policy, {
    action: 'start_task',
    principal: caller,
    resource: { txn: task.txn },
    scopes,
    sub: user.sub,
    user: userClaims,
    act,
    currentActor: caller.id,
    purpose,
  });
  const claims = {
    iss: ctx.config.issuer,
    sub: task.sub,
    aud: ctx.config.issuer,
    exp: deadline,
    iat: now,
    nbf: now,
    jti: ctx.newId(),
    client_id: caller.id,
    scope: joinScope(scopes),
    txn: task.txn,
    act: task.act,
    // Derived from the task token it renews: revoking that one ends this one too.
    lineage: { anc: [task.jti, ...task.lineage.anc] },
    ...(jkt !== undefined ? { cnf: { jkt } } : {}),
    task: { ...(purpose ? { purpose } : {}), user: userClaims },
  };
  const issued = await renewAndSign(ctx, claims, task.lineage.st, {
    type: 'task_renewed',
    txn: task.txn,
    act,
    client: caller.id,
    sub: task.sub,
    decision: 'allow',
    rule: withCedar('defaults.taskMaxSeconds', policy.rule),
    detail: {
      jti: claims.jti,
      parent: task.jti,
      scope: claims.scope,
      previous_deadline: record.deadline,
      deadline,
    },
  });
  return {
    deadline,
    response: {
      access_token: issued.token,
      issued_token_type: TOKEN_TYPE_ACCESS,
      token_type: jkt !== undefined ? 'DPoP' : 'Bearer',
      expires_in: Math.max(0, deadline - now),
      scope: claims.scope,
    },
  };
}

async function readTask(ctx: ExchangeDeps, txn: string) {
  try {
    return await ctx.store.getTask(txn);
  } catch (e) {
    throw new TemporarilyUnavailable('Baton cannot read the task right now; nothing was renewed', {
      cause: e,
    });
  }
}
