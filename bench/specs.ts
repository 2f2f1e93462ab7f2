/**
 * What each HTTP scenario sends. Every spec is a fixed request repeated by autocannon with the
 * same connections, duration and warm-up; each checks its answer cheaply (a 200 that is not a
 * token, or an introspection that is not active, counts as a mismatch and fails the run).
 */
import { basic, BILLING, FORM, formBody, ISSUER, SECRETS, TICKETS } from '../test/support/index.js';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS } from '../src/tokens/claims.js';
import { postForm } from './http.js';
import type { LoadSpec } from './load.js';
import { PEER } from './peer.js';

export { BILLING, ISSUER, TICKETS };

/** The credentials a Baton scenario uses: an agent at /token, a tool's resource server at /introspect. */
export interface BatonCast {
  issuer: string;
  tool: string;
  agent: { id: string; secret: string };
  rs: { id: string; secret: string };
}

export const TEST_CAST: BatonCast = {
  issuer: ISSUER,
  tool: TICKETS,
  agent: { id: 'support-agent', secret: SECRETS['support-agent'] },
  rs: { id: 'tickets-rs', secret: SECRETS['tickets-rs'] },
};

const TE = { grant_type: GRANT_TOKEN_EXCHANGE, subject_token_type: TOKEN_TYPE_ACCESS };
const hasToken = (b: string) => b.includes('"access_token"');
const isActive = (b: string) => b.includes('"active":true');

export const agentAuth = (c: BatonCast) => basic(c.agent.id, c.agent.secret);
export const rsAuth = (c: BatonCast) => basic(c.rs.id, c.rs.secret);

/** Body and header of scenario 1, shared by the HTTP run, the raw ceiling and the in-process loop. */
export function exchangeRequest(
  c: BatonCast,
  taskToken: string,
): { body: string; authorization: string } {
  return {
    body: formBody({ ...TE, subject_token: taskToken, resource: c.tool }),
    authorization: agentAuth(c),
  };
}

export function introspectRequest(
  c: BatonCast,
  toolToken: string,
): { body: string; authorization: string } {
  return { body: formBody({ token: toolToken }), authorization: rsAuth(c) };
}

export function exchangeSpec(
  url: string,
  c: BatonCast,
  taskToken: string,
  title = 'exchange',
): LoadSpec {
  const r = exchangeRequest(c, taskToken);
  return {
    title,
    url: `${url}/token`,
    headers: { 'content-type': FORM, authorization: r.authorization },
    body: r.body,
    verify: hasToken,
  };
}

export function taskStartSpec(url: string, c: BatonCast, userToken: string): LoadSpec {
  return {
    title: 'task start',
    url: `${url}/token`,
    headers: { 'content-type': FORM, authorization: agentAuth(c) },
    body: formBody({ ...TE, subject_token: userToken, audience: c.issuer }),
    verify: hasToken,
  };
}

export function introspectSpec(
  url: string,
  c: BatonCast,
  toolToken: string,
  title = 'introspect',
): LoadSpec {
  const r = introspectRequest(c, toolToken);
  return {
    title,
    url: `${url}/introspect`,
    headers: { 'content-type': FORM, authorization: r.authorization },
    body: r.body,
    verify: isActive,
  };
}

export function peerTokenSpec(url: string): LoadSpec {
  return {
    title: 'peer client_credentials',
    url: `${url}${PEER.routes.token}`,
    headers: { 'content-type': FORM, authorization: basic(PEER.agent.id, PEER.agent.secret) },
    body: formBody({
      grant_type: 'client_credentials',
      resource: PEER.jwtResource,
      scope: PEER.scope,
    }),
    verify: hasToken,
  };
}

export function peerIntrospectSpec(url: string, opaqueToken: string): LoadSpec {
  return {
    title: 'peer introspection',
    url: `${url}${PEER.routes.introspect}`,
    headers: { 'content-type': FORM, authorization: basic(PEER.rs.id, PEER.rs.secret) },
    body: formBody({ token: opaqueToken }),
    verify: isActive,
  };
}

/** The machine's HTTP ceiling: the same request as scenario 1, answered with a small JSON. */
export function ceilingSpec(url: string, c: BatonCast, taskToken: string): LoadSpec {
  return { ...exchangeSpec(url, c, taskToken, 'http ceiling'), verify: (b) => b.includes('"ok"') };
}

// ---- tokens the scenarios present --------------------------------------------------------

export async function startTaskOn(url: string, c: BatonCast, userToken: string): Promise<string> {
  const r = await postForm(
    `${url}/token`,
    { ...TE, subject_token: userToken, audience: c.issuer },
    { authorization: agentAuth(c) },
  );
  return r.access_token as string;
}

export async function toolTokenOn(url: string, c: BatonCast, taskToken: string): Promise<string> {
  const r = await postForm(
    `${url}/token`,
    { ...TE, subject_token: taskToken, resource: c.tool },
    { authorization: agentAuth(c) },
  );
  return r.access_token as string;
}

/** An opaque access token of the peer, for the opaque resource, as its resource server will see it. */
export async function peerOpaqueToken(url: string): Promise<string> {
  const r = await postForm(
    `${url}${PEER.routes.token}`,
    { grant_type: 'client_credentials', resource: PEER.opaqueResource, scope: PEER.scope },
    { authorization: basic(PEER.agent.id, PEER.agent.secret) },
  );
  const t = r.access_token as string;
  if (t.split('.').length === 3)
    throw new Error('the peer issued a JWT where an opaque token was expected');
  return t;
}
