import { agentById } from '../auth/clients.js';
import { InvalidRequest, TemporarilyUnavailable } from '../errors.js';
import { assertNotMarked } from '../revocation/marks.js';
import type { BatonClaims } from '../tokens/claims.js';
import { verifyOwnToken } from '../tokens/verify-own.js';
import { VerifiedTokenCache } from '../tokens/verified-cache.js';
import type { UpstreamIdentity } from '../tokens/verify-upstream.js';
import type { ExchangeDeps } from './deps.js';
import type { TokenState } from '../store/store.js';
import type { AgentConfig } from '../config/schema.js';
import { decodeJwt } from 'jose';

export type Subject =
  | { kind: 'user'; id: UpstreamIdentity }
  | { kind: 'task'; claims: BatonClaims };

/** Unverified peek at `iss`, only to route the token to the right verifier. */
function peekIssuer(token: string, what: string): string {
  try {
    const iss = decodeJwt(token).iss;
    if (typeof iss === 'string') return iss;
  } catch {
    /* fall through */
  }
  throw new InvalidRequest(`${what} is not a well-formed JWT with an issuer`);
}

/**
 * Verifies the subject token: a Baton task token (a tool token is terminal and refused) or a
 * user token from a trusted issuer. Any failure is `invalid_request` (RFC 8693 §2.2.2).
 */
export async function verifySubject(ctx: ExchangeDeps, token: string): Promise<Subject> {
  // A task token seen before is in the verified cache: skip even the unverified peek at `iss`.
  const key = VerifiedTokenCache.keyOf(token);
  const seen = ctx.own.cache.has(key);
  if (seen || peekIssuer(token, 'subject_token') === ctx.config.issuer) {
    const claims = await verifyOwnToken(ctx.own, token, 'subject_token', key);
    if (claims.aud !== ctx.config.issuer)
      throw new InvalidRequest(
        'subject_token is a tool token; tool tokens are terminal and cannot be exchanged',
      );
    assertNotMarked(ctx.marks, claims, 'subject_token');
    return { kind: 'task', claims };
  }
  return { kind: 'user', id: await ctx.upstream.verify(token, 'subject_token') };
}

/**
 * RFC 8693 §2.1 actor_token: identifies the acting party. For an upstream token that is its
 * `sub` (with the issuer's prefix); for a Baton token it is its current actor, since a Baton
 * token's `sub` is always the user. The actor must be an enabled agent.
 */
export async function verifyActor(
  ctx: ExchangeDeps,
  token: string,
): Promise<{ agent: AgentConfig; cnf: unknown }> {
  let cnf: unknown;
  let actorId: string;
  if (peekIssuer(token, 'actor_token') === ctx.config.issuer) {
    const claims = await verifyOwnToken(ctx.own, token, 'actor_token');
    if (claims.aud !== ctx.config.issuer)
      throw new InvalidRequest('actor_token is a tool token; tool tokens are terminal');
    assertNotMarked(ctx.marks, claims, 'actor_token');
    // Unlike a subject (whose liveness the record script checks), nothing else reads the store for an actor.
    let state: TokenState;
    try {
      state = await ctx.store.checkToken(claims.txn, claims.jti, claims.lineage.anc);
    } catch (e) {
      throw new TemporarilyUnavailable('Baton cannot check actor_token right now', { cause: e });
    }
    if (state !== 'active')
      throw new InvalidRequest(
        `actor_token is not active (${state === 'task_ended' ? 'its task has ended' : state})`,
      );
    actorId = claims.act.sub;
    cnf = claims.cnf;
  } else {
    const id = await ctx.upstream.verify(token, 'actor_token');
    if (!ctx.upstream.vouchesForAgents(id.iss))
      throw new InvalidRequest(
        'actor_token is from an issuer not trusted to name agents (trustedIssuers[].actorTokens)',
      );
    actorId = id.sub;
    cnf = id.claims.cnf;
  }
  const agent = agentById(ctx.clients, actorId);
  if (!agent)
    throw new InvalidRequest(`actor_token names ${actorId}, which is not an enabled agent`);
  return { agent, cnf };
}
