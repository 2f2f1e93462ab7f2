import { InvalidRequest, InvalidTarget, UnsupportedGrantType } from '../errors.js';
import {
  GRANT_TOKEN_EXCHANGE,
  TOKEN_TYPE_ACCESS,
  TOKEN_TYPE_JWT,
  splitScope,
} from '../tokens/claims.js';
import { TOKEN_TYPE_HAND_OFF_OFFER } from './hand-off-offer.js';

/** RFC 8693 §2.1, parsed and checked for shape; meaning is decided later. */
export interface ExchangeRequest {
  subjectToken: string;
  subjectTokenType: string;
  actorToken?: string;
  actorTokenType?: string;
  resources: string[];
  audiences: string[];
  scope?: string[];
  requestedTokenType?: string;
  /** Baton extension: the task's stated purpose, on task start only. */
  purpose?: string;
  /** RFC 9396, raw JSON; checked against the tool once the target is known. */
  authorizationDetails?: string;
  /** Baton extension: the pending approval this request repeats. */
  approvalId?: string;
  /** Baton extension: the agent a bound task is offered to (docs/dpop.md, "Hand-off"). */
  handOffTo?: string;
}

/** Form fields as read off the wire: every value of every name, in order. */
export type FormFields = ReadonlyMap<string, readonly string[]>;

const ACCEPTED_TYPES = new Set([TOKEN_TYPE_ACCESS, TOKEN_TYPE_JWT]);
/** A short, safe excerpt of a caller's value for an error message (never a whole token). */
export const excerpt = (v: string): string =>
  JSON.stringify(v.length > 40 ? `${v.slice(0, 12)}…` : v);

/** Names that may repeat (RFC 8693 §2.1); every other parameter must appear at most once. */
export const REPEATABLE = new Set(['resource', 'audience']);

export function single(form: FormFields, name: string): string | undefined {
  const v = form.get(name);
  if (!v || v.length === 0) return undefined;
  if (v.length > 1 && !REPEATABLE.has(name))
    throw new InvalidRequest(`parameter ${name} is repeated`);
  return v[0];
}

function required(form: FormFields, name: string): string {
  const v = single(form, name);
  if (v === undefined || v === '') throw new InvalidRequest(`${name} is required`);
  return v;
}

/** RFC 8707 §2: a resource is an absolute URI without a fragment. */
function checkResource(r: string): string {
  let u: URL;
  try {
    u = new URL(r);
  } catch {
    throw new InvalidTarget(`resource ${excerpt(r)} is not an absolute URI`);
  }
  if (u.hash) throw new InvalidTarget('a resource must not contain a fragment');
  return r;
}

export function parseExchangeRequest(form: FormFields, purposeMaxLength: number): ExchangeRequest {
  const grantType = required(form, 'grant_type');
  if (grantType !== GRANT_TOKEN_EXCHANGE)
    throw new UnsupportedGrantType(
      `grant_type ${excerpt(grantType)} is not supported; use ${GRANT_TOKEN_EXCHANGE}`,
    );
  for (const name of form.keys()) if (!REPEATABLE.has(name)) single(form, name);

  const subjectToken = required(form, 'subject_token');
  const subjectTokenType = required(form, 'subject_token_type');
  if (!ACCEPTED_TYPES.has(subjectTokenType) && subjectTokenType !== TOKEN_TYPE_HAND_OFF_OFFER)
    throw new InvalidRequest(`subject_token_type ${excerpt(subjectTokenType)} is not supported`);

  const actorToken = single(form, 'actor_token');
  const actorTokenType = single(form, 'actor_token_type');
  // RFC 8693 §2.1: actor_token_type is REQUIRED with actor_token and MUST NOT appear without it.
  if ((actorToken === undefined) !== (actorTokenType === undefined))
    throw new InvalidRequest('actor_token and actor_token_type go together');
  if (actorTokenType !== undefined && !ACCEPTED_TYPES.has(actorTokenType))
    throw new InvalidRequest(`actor_token_type ${excerpt(actorTokenType)} is not supported`);

  const requestedTokenType = single(form, 'requested_token_type');
  if (requestedTokenType !== undefined && !ACCEPTED_TYPES.has(requestedTokenType))
    throw new InvalidRequest(
      `requested_token_type ${excerpt(requestedTokenType)} cannot be issued; Baton issues ${TOKEN_TYPE_ACCESS}`,
    );

  const rawScope = single(form, 'scope');
  if (
    rawScope !== undefined &&
    !/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(rawScope)
  )
    throw new InvalidRequest('scope is malformed (RFC 6749 §3.3)');
  const purpose = single(form, 'purpose');
  if (purpose !== undefined && (purpose.length === 0 || purpose.length > purposeMaxLength))
    throw new InvalidRequest(`purpose must be 1 to ${purposeMaxLength} characters`);

  const authorizationDetails = single(form, 'authorization_details');
  const approvalId = single(form, 'approval_id');
  if (approvalId !== undefined && !/^[A-Za-z0-9._~-]{1,200}$/.test(approvalId))
    throw new InvalidRequest('approval_id is malformed');
  const handOffTo = single(form, 'hand_off_to');
  if (handOffTo !== undefined && !/^[A-Za-z0-9._:@-]{1,128}$/.test(handOffTo))
    throw new InvalidRequest('hand_off_to is not an agent id');
  const audiences = [...(form.get('audience') ?? [])];
  if (audiences.some((a) => a === '')) throw new InvalidRequest('audience must not be empty');
  return {
    subjectToken,
    subjectTokenType,
    resources: (form.get('resource') ?? []).map(checkResource),
    audiences,
    ...(actorToken !== undefined ? { actorToken, actorTokenType: actorTokenType! } : {}),
    ...(rawScope !== undefined ? { scope: splitScope(rawScope) } : {}),
    ...(requestedTokenType !== undefined ? { requestedTokenType } : {}),
    ...(purpose !== undefined ? { purpose } : {}),
    ...(authorizationDetails !== undefined ? { authorizationDetails } : {}),
    ...(approvalId !== undefined ? { approvalId } : {}),
    ...(handOffTo !== undefined ? { handOffTo } : {}),
  };
}
