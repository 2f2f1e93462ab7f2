import * as oauth from 'oauth4webapi';
import type { AgentDpop } from './dpop.js';
import { BatonError } from './errors.js';
import type { HttpOptions } from './http-options.js';

/** RFC 8693 §2.1. */
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_TYPE_ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
/** docs/dpop.md, "Hand-off of a bound task". */
export const TOKEN_TYPE_HAND_OFF_OFFER = 'urn:baton:params:oauth:token-type:hand-off-offer';

/** What the SDK holds to talk to Baton: its metadata, the client, its auth, DPoP, the network. */
export interface BatonConnection {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  dpop: AgentDpop | undefined;
  http: HttpOptions;
}

/** An RFC 8693 §2.2.1 answer, as Baton gives it. */
export interface ExchangeAnswer {
  access_token: string;
  issued_token_type: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  authorization_details?: unknown[];
}

/** A refusal from oauth4webapi or Baton, as the SDK's one error. */
export async function toBatonError(e: unknown): Promise<unknown> {
  if (e instanceof oauth.ResponseBodyError)
    return new BatonError(e.error, e.error_description ?? e.error, {
      status: e.status,
      body: e.cause as Record<string, unknown>,
      cause: e,
    });
  if (e instanceof oauth.WWWAuthenticateChallengeError) {
    const body = await e.response
      .clone()
      .json()
      .catch(() => undefined);
    const p = e.cause[0]?.parameters ?? {};
    const code = (body?.error as string | undefined) ?? p.error ?? 'invalid_client';
    const description =
      (body?.error_description as string | undefined) ?? p.error_description ?? code;
    return new BatonError(code, description, { status: e.status, body, cause: e });
  }
  return e;
}

/**
 * POST /token with the token-exchange grant, through oauth4webapi (client authentication, the
 * DPoP proof, the response checks); one retry when Baton asks for a DPoP nonce (RFC 9449 §8).
 */
export async function tokenExchange(
  c: BatonConnection,
  params: Record<string, string>,
  signal?: AbortSignal,
): Promise<ExchangeAnswer> {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await oauth.genericTokenEndpointRequest(
        c.as,
        c.client,
        c.auth,
        GRANT_TOKEN_EXCHANGE,
        new URLSearchParams(params),
        {
          ...c.http.oauth,
          ...(c.dpop ? { DPoP: c.dpop.handle } : {}),
          ...(signal ? { signal } : {}),
        },
      );
      const answer = await oauth.processGenericTokenEndpointResponse(c.as, c.client, response, {
        // RFC 8693 §2.2.1: a hand-off offer is no access token (`token_type: N_A`).
        recognizedTokenTypes: { n_a: () => {} },
      });
      return answer as unknown as ExchangeAnswer;
    } catch (e) {
      if (attempt === 0 && c.dpop && oauth.isDPoPNonceError(e)) continue;
      throw await toBatonError(e);
    }
  }
}

/**
 * POST to one of Baton's task endpoints (`/tasks/{txn}/complete`, `/tasks/{txn}/renew`): a form
 * with oauth4webapi's client authentication, a DPoP proof when the agent has a key, and one
 * retry on `use_dpop_nonce`. Returns the JSON answer or throws BatonError.
 */
export async function taskEndpoint(
  c: BatonConnection,
  path: string,
  fields: Record<string, string>,
): Promise<Record<string, unknown>> {
  const url = new URL(`${c.as.issuer.replace(/\/$/, '')}${path}`);
  for (let attempt = 0; ; attempt++) {
    const body = new URLSearchParams(fields);
    const headers = new Headers({
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    });
    await c.auth(c.as, c.client, body, headers);
    if (c.dpop) await c.dpop.addProof(url, headers);
    const response = await c.http.fetch(url.href, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
    });
    c.dpop?.cacheNonce(response, url);
    const json = (await response.json().catch(() => undefined)) as
      | Record<string, unknown>
      | undefined;
    if (response.ok) return json ?? {};
    const code = typeof json?.error === 'string' ? json.error : 'invalid_response';
    if (attempt === 0 && c.dpop && code === 'use_dpop_nonce') continue;
    const description =
      typeof json?.error_description === 'string'
        ? json.error_description
        : `Baton answered ${response.status} at ${path}`;
    throw new BatonError(code, description, {
      status: response.status,
      ...(json ? { body: json } : {}),
    });
  }
}
