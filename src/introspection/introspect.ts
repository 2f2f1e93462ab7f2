import type { IntrospectionResponse } from '../protocol/introspection.js';
import type { AuditLog } from '../audit/log.js';
import { agentById, type Client, type ClientRegistry } from '../auth/clients.js';
import { UnauthorizedClient } from '../errors.js';
import { reauthorize, type ReauthorizeDeps } from '../policy/reauthorize.js';
import type { MarkVerdicts } from '../revocation/marks.js';
import type { TokenStateStore } from '../store/store.js';
import { actorChain, type BatonClaims } from '../tokens/claims.js';
import { type OwnTokenVerifier, verifyOwnToken } from '../tokens/verify-own.js';

/** What introspection uses: our token verifier, token state, marks, and the policy in force. */
export interface IntrospectionDeps extends ReauthorizeDeps {
  own: OwnTokenVerifier;
  store: TokenStateStore;
  marks: MarkVerdicts;
  clients: ClientRegistry;
  audit: Pick<AuditLog, 'emit'>;
}

export type { IntrospectionResponse };

const INACTIVE = { active: false } as const;

/** Inactive, with an audit event saying why (the caller is told nothing more). */
function refuse(
  deps: IntrospectionDeps,
  rs: string,
  reason: string,
  seen?: { txn: string; act: string[]; sub: string; jti: string },
): IntrospectionResponse {
  deps.audit.emit({
    type: 'introspection_refused',
    client: rs,
    decision: 'deny',
    reason,
    ...(seen ? { txn: seen.txn, act: seen.act, sub: seen.sub, detail: { jti: seen.jti } } : {}),
  });
  return INACTIVE;
}

/**
 * RFC 7662 for a tool's resource server. Active only if the signature and times hold, the
 * token is for this resource server, it is recorded, neither it nor an ancestor is revoked,
 * no cross-task mark covers it, and its task is open. Otherwise exactly `{"active": false}`;
 * when Baton cannot tell (store down, marks stale) the answer is inactive too (invariant 7).
 */
export async function introspect(
  deps: IntrospectionDeps,
  client: Client,
  token: string,
): Promise<IntrospectionResponse> {
  if (client.kind !== 'resource_server')
    throw new UnauthorizedClient(
      `client ${client.id} is not a resource server; only resource servers introspect`,
    );
  let claims: BatonClaims;
  try {
    claims = await verifyOwnToken(deps.own, token, 'token');
  } catch (e) {
    return refuse(deps, client.id, (e as Error).message);
  }
  const act = actorChain(claims.act);
  const seen = { txn: claims.txn, act, sub: claims.sub, jti: claims.jti };
  // A task token (aud = Baton) is active to no resource server.
  if (claims.aud !== client.tool.resource)
    return refuse(deps, client.id, 'audience is not this resource server', seen);
  const marks = deps.marks.verdict({
    sub: claims.sub,
    client_id: claims.client_id,
    actors: act,
    stamps: claims.lineage.st,
  });
  if (marks !== 'ok')
    return refuse(
      deps,
      client.id,
      marks === 'stale'
        ? 'revocation state not current (fail closed)'
        : 'revoked (agent, user or all)',
      seen,
    );
  let recorded: { state: string; ctx?: Record<string, unknown> };
  try {
    // The record's context is only needed when a Cedar policy will re-decide the token.
    recorded = deps.policy?.current()
      ? await deps.store.inspectToken(claims.txn, claims.jti, claims.lineage.anc)
      : { state: await deps.store.checkToken(claims.txn, claims.jti, claims.lineage.anc) };
  } catch {
    return refuse(deps, client.id, 'store unavailable (fail closed)', seen);
  }
  if (recorded.state !== 'active') return refuse(deps, client.id, recorded.state, seen);
  // Continuous authorization: the policy in force now must still allow this token.
  const stillAllowed = reauthorize(
    deps,
    agentById(deps.clients, claims.act.sub),
    client.tool,
    claims,
    act,
    recorded.ctx,
  );
  if (stillAllowed !== true)
    return refuse(deps, client.id, `no longer allowed by policy: ${stillAllowed}`, seen);
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    nbf: claims.nbf,
    jti: claims.jti,
    token_type: claims.cnf ? 'DPoP' : 'Bearer',
    ...(claims.cnf ? { cnf: { jkt: claims.cnf.jkt } } : {}),
    txn: claims.txn,
    act: claims.act,
    ...(claims.authorization_details
      ? { authorization_details: claims.authorization_details }
      : {}),
  };
}
