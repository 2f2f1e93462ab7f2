import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { AgentConfig } from '../config/schema.js';
import type { ExchangeDeps } from './deps.js';
import { epochSeconds } from '../clock.js';
import { InvalidRequest } from '../errors.js';
import { orUnavailable } from '../store/store.js';
import { checkHandOff } from '../policy/ceilings.js';
import { agentById } from '../auth/clients.js';
import { actorChain, type BatonClaims } from '../tokens/claims.js';
import { joseReason } from '../tokens/verify-own.js';

/** RFC 8693 §3 token type of a hand-off offer (Baton's own URN). */
export const TOKEN_TYPE_HAND_OFF_OFFER = 'urn:baton:params:oauth:token-type:hand-off-offer';
/** Not `at+jwt`: an offer is never accepted where a token is (RFC 8725 §3.11). */
const OFFER_TYP = 'baton-hand-off+jwt';

export type HandOffOfferDeps = Pick<
  ExchangeDeps,
  'config' | 'keys' | 'clients' | 'store' | 'newId' | 'audit'
>;

/**
 * The hand-off of a DPoP-bound task token (docs/tokens.md, "Who may do what"): one request carries
 * one proof (RFC 9449 §4.3), so the current actor, proving its key, asks for an offer naming
 * the new agent; the new agent redeems it once, with its own proof, and the task token it gets is
 * bound to its key. A stolen copy of the task token is not enough: taking it needs the offer.
 * The offer carries the task token it hands over (useless without the current actor's key).
 */
export async function offerHandOff(
  deps: HandOffOfferDeps,
  caller: AgentConfig,
  task: BatonClaims,
  subjectToken: string,
  to: AgentConfig,
): Promise<{ offer: string; expiresIn: number }> {
  if (task.act.sub !== caller.id)
    throw new InvalidRequest(
      `subject_token's current actor is ${task.act.sub}; only it may offer the task`,
    );
  if (to.id === caller.id) throw new InvalidRequest(`${caller.id} already holds this task`);
  // The same ceilings as the hand-off itself, so an offer that cannot be redeemed is never made.
  checkHandOff(deps.config, caller, to, actorChain(task.act).length + 1);
  const now = epochSeconds();
  const ttl = Math.min(deps.config.dpop.handOffOfferTtlSeconds, task.exp - now);
  const key = deps.keys.signingKey();
  const jti = deps.newId();
  const offer = await new SignJWT({ txn: task.txn, parent: task.jti, to: to.id, tok: subjectToken })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: OFFER_TYP })
    .setIssuer(deps.config.issuer)
    .setAudience(deps.config.issuer)
    .setSubject(caller.id)
    .setJti(jti)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .sign(key.signingKeyObject);
  // The offer is part of the task's story: who offered it to whom, before anyone redeemed it.
  deps.audit.emit({
    type: 'hand_off_offered',
    txn: task.txn,
    act: actorChain(task.act),
    client: caller.id,
    sub: task.sub,
    decision: 'allow',
    rule: 'dpop: a bound task token changes hands by an offer',
    detail: { offer: jti, parent: task.jti, from: caller.id, to: to.id, ttl },
  });
  return { offer, expiresIn: ttl };
}

/**
 * Redeems an offer: Baton's signature, not expired, naming the caller, used once (in the shared
 * store, so on any instance). Returns the task token it hands over.
 */
export async function redeemHandOffOffer(
  deps: HandOffOfferDeps,
  caller: AgentConfig,
  offer: string,
): Promise<{ taskToken: string; parent: string }> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(offer).kid;
  } catch {
    throw new InvalidRequest('subject_token is not a well-formed hand-off offer');
  }
  const key = deps.keys.verificationKey(kid);
  if (!key) throw new InvalidRequest('subject_token was not signed by a key Baton publishes');
  let p: Record<string, unknown>;
  try {
    ({ payload: p } = await jwtVerify(offer, key.publicKey, {
      algorithms: [key.alg],
      typ: OFFER_TYP,
      issuer: deps.config.issuer,
      audience: deps.config.issuer,
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (e) {
    throw new InvalidRequest(`hand-off offer is not acceptable: ${joseReason(e)}`);
  }
  if (typeof p.tok !== 'string' || typeof p.parent !== 'string' || typeof p.to !== 'string')
    throw new InvalidRequest('hand-off offer does not carry Baton’s claims');
  if (p.to !== caller.id || !agentById(deps.clients, p.to))
    throw new InvalidRequest(`this hand-off offer names ${p.to}, not ${caller.id}`);
  const fresh = await orUnavailable(
    () => deps.store.useOnce('handoff', String(p.jti), Number(p.exp) + 1),
    'the hand-off offer was not redeemed',
  );
  if (!fresh) throw new InvalidRequest('this hand-off offer has been redeemed already');
  return { taskToken: p.tok, parent: p.parent };
}
