import { decodeJwt, jwtVerify } from 'jose';
import { InvalidClient, InvalidRequest } from '../errors.js';
import { ASYMMETRIC_ALGS } from '../config/schema.js';
import { joseReason } from '../tokens/verify-own.js';
import type { Client, ClientRegistry } from './clients.js';
import { firstUseOfAssertion } from './replay.js';
import { secretMatches } from './secrets.js';
import type { ReplayStore } from '../store/store.js';
import { epochSeconds } from '../clock.js';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientAuthInput {
  authorization: string | undefined;
  /** Single-valued form fields: client_id, client_secret, client_assertion(_type). */
  clientId: string | undefined;
  clientSecret: string | undefined;
  clientAssertion: string | undefined;
  clientAssertionType: string | undefined;
}

export interface ClientAuthDeps {
  clients: ClientRegistry;
  /** Accepted `aud` of client assertions: the issuer and the endpoint URL (RFC 7523 §3). */
  assertionAudiences: string[];
  maxAssertionLifetimeSeconds: number;
  clockToleranceSeconds: number;
  /** Single-use check of assertion jtis (replay.ts). */
  replay: ReplayStore;
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function parseBasic(header: string): { id: string; secret: string } {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) throw new InvalidClient('malformed Basic credentials');
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw new InvalidClient('malformed Basic credentials');
  }
}

/**
 * The client id a request claims, before any check (for counting failed authentications);
 * undefined when it names none or cannot be read.
 */
export function claimedClientId(input: ClientAuthInput): string | undefined {
  if (input.authorization?.toLowerCase().startsWith('basic ')) {
    try {
      return parseBasic(input.authorization).id;
    } catch {
      return undefined;
    }
  }
  if (input.clientId !== undefined) return input.clientId;
  if (input.clientAssertion === undefined) return undefined;
  try {
    const iss = decodeJwt(input.clientAssertion).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** One answer for every failed authentication; which check failed (and for whom) is only logged. */
const authFailed = (id: string, reason: string) =>
  new InvalidClient('client authentication failed', { debug: { id, reason } });

function expectMethod(client: Client | undefined, method: string, id: string): Client {
  if (!client) throw authFailed(id, 'unknown client');
  // Same answer as an unknown id: the reply must not reveal which ids exist or their method.
  if (client.auth.method !== method) throw authFailed(id, `must use ${client.auth.method}`);
  if (client.kind === 'agent' && client.agent.disabled) throw authFailed(id, 'disabled');
  return client;
}

/**
 * Authenticates the caller with exactly one method: client_secret_basic, client_secret_post or
 * private_key_jwt (RFC 7523). Every failure is 401 `invalid_client` with the same description,
 * so the answer does not tell which client ids exist.
 */
export async function authenticateClient(
  deps: ClientAuthDeps,
  input: ClientAuthInput,
): Promise<Client> {
  const basic = input.authorization?.toLowerCase().startsWith('basic ')
    ? input.authorization
    : undefined;
  const used = [
    basic,
    input.clientSecret,
    input.clientAssertion ?? input.clientAssertionType,
  ].filter((x) => x !== undefined).length;
  if (used > 1) throw new InvalidRequest('use exactly one client authentication method');
  if (basic) {
    const { id, secret } = parseBasic(basic);
    if (input.clientId !== undefined && input.clientId !== id)
      throw new InvalidRequest('client_id does not match the Basic credentials');
    const client = deps.clients.get(id);
    const ok = secretMatches(
      secret,
      client && 'secretHash' in client.auth ? client.auth.secretHash : undefined,
    );
    if (!ok) throw authFailed(id, 'bad secret');
    return expectMethod(client, 'client_secret_basic', id);
  }
  if (input.clientSecret !== undefined) {
    const id = input.clientId;
    if (id === undefined) throw new InvalidRequest('client_id is required with client_secret');
    const client = deps.clients.get(id);
    const ok = secretMatches(
      input.clientSecret,
      client && 'secretHash' in client.auth ? client.auth.secretHash : undefined,
    );
    if (!ok) throw authFailed(id, 'bad secret');
    return expectMethod(client, 'client_secret_post', id);
  }
  if (input.clientAssertion !== undefined || input.clientAssertionType !== undefined)
    return assertionClient(deps, input);
  throw new InvalidClient('client authentication is required');
}

async function assertionClient(deps: ClientAuthDeps, input: ClientAuthInput): Promise<Client> {
  if (input.clientAssertionType !== ASSERTION_TYPE)
    throw new InvalidRequest(`client_assertion_type must be ${ASSERTION_TYPE}`);
  if (!input.clientAssertion) throw new InvalidRequest('client_assertion is required');
  let iss: unknown;
  try {
    iss = decodeJwt(input.clientAssertion).iss;
  } catch {
    throw new InvalidClient('client_assertion is not a well-formed JWT');
  }
  const id = input.clientId ?? (typeof iss === 'string' ? iss : undefined);
  if (!id) throw new InvalidClient('client_assertion has no issuer');
  const client = expectMethod(deps.clients.get(id), 'private_key_jwt', id);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(input.clientAssertion, client.jwks!, {
      issuer: id,
      subject: id,
      audience: deps.assertionAudiences,
      algorithms: [...ASYMMETRIC_ALGS],
      clockTolerance: deps.clockToleranceSeconds,
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (e) {
    // One answer for every failure (the reason goes to the log): no hint which ids exist.
    throw authFailed(id, joseReason(e));
  }
  const now = epochSeconds();
  const exp = payload.exp as number;
  if (exp - now > deps.maxAssertionLifetimeSeconds)
    throw authFailed(id, `assertion lives longer than ${deps.maxAssertionLifetimeSeconds}s`);
  if (
    typeof payload.jti !== 'string' ||
    !(await firstUseOfAssertion(deps.replay, id, payload.jti, exp + deps.clockToleranceSeconds))
  )
    throw authFailed(id, 'assertion replayed');
  return client;
}
