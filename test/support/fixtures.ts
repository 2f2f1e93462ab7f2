/**
 * One fixture builder for configs, tokens and clients (STYLE.md). Tests build a Baton from
 * `testConfig()` and an upstream IdP from `makeUpstream()` (real keys, real JWTs via jose);
 * integration tests use the real oidc-provider instead (src/demo/idp.ts).
 */
import { createHmac, createPublicKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { ASSERTION_TYPE } from '../../src/auth/client-auth.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { bootBaton, type BatonInstance } from '../../src/boot.js';
import { createKey, KeySet } from '../../src/keys/keyset.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { TokenStore } from '../../src/store/store.js';
import {
  GRANT_TOKEN_EXCHANGE,
  TOKEN_TYPE_ACCESS,
  type BatonClaims,
} from '../../src/tokens/claims.js';
import { signToken } from '../../src/tokens/mint.js';

export const ISSUER = 'http://baton.test';
export const TICKETS = 'https://tools.test/tickets';
export const BILLING = 'https://tools.test/billing';
export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnopqrstuv';

/** Client secrets of the test cast. */
export const SECRETS = {
  'support-agent': 'support-secret-0123456789abcdefghijklmnopqrstuvwx',
  'billing-agent': 'billing-secret-0123456789abcdefghijklmnopqrstuvwx',
  'isolated-agent': 'isolated-secret-0123456789abcdefghijklmnopqrstuv',
  orchestrator: 'orchestrator-secret-0123456789abcdefghijklmnopqrs',
  'tickets-rs': 'tickets-rs-secret-0123456789abcdefghijklmnopqrstu',
  'billing-rs': 'billing-rs-secret-0123456789abcdefghijklmnopqrstu',
} as const;
export type ClientId = keyof typeof SECRETS;

export interface Upstream {
  issuer: string;
  jwk: JWK;
  privateKey: CryptoKey;
  userToken(opts?: {
    sub?: string;
    scope?: string;
    aud?: string;
    expIn?: number;
    extra?: Record<string, unknown>;
    /** Claims set last, over the standard ones, whatever their type (for claim-type tests). */
    raw?: Record<string, unknown>;
    iss?: string;
    alg?: string;
    key?: CryptoKey;
  }): Promise<string>;
}

export async function makeUpstream(issuer = 'https://idp.test'): Promise<Upstream> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  return {
    issuer,
    jwk,
    privateKey,
    userToken: async (o = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        scope: o.scope ?? 'tickets:read tickets:write billing:read',
        ...o.extra,
        iss: o.iss ?? issuer,
        sub: o.sub ?? 'alice@example.com',
        aud: o.aud ?? ISSUER,
        iat: now,
        exp: now + (o.expIn ?? 3600),
        jti: randomUUID(),
        ...o.raw,
      })
        .setProtectedHeader({ alg: o.alg ?? 'ES256', kid: 'idp-1', typ: 'at+jwt' })
        .sign(o.key ?? privateKey);
    },
  };
}

const secretAuth = (
  id: ClientId,
  method: 'client_secret_basic' | 'client_secret_post' = 'client_secret_basic',
) => ({ method, secretHash: hashSecret(SECRETS[id]) });

/** The test cast: support-agent <-> billing-agent may hand off; isolated-agent takes from no one. */
export function rawTestConfig(upstream: Upstream): Record<string, unknown> {
  return {
    issuer: ISSUER,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    // actorTokens: the test IdP also vouches for agents (the actor_token tests use it).
    trustedIssuers: [
      {
        issuer: upstream.issuer,
        jwks: { keys: [upstream.jwk] },
        audience: ISSUER,
        algorithms: ['ES256'],
        actorTokens: true,
      },
    ],
    agents: [
      {
        id: 'support-agent',
        auth: secretAuth('support-agent'),
        taskScopes: ['tickets:read', 'tickets:write', 'billing:read'],
        tools: { [TICKETS]: { scopes: ['tickets:read', 'tickets:write'], maxTtlSeconds: 120 } },
        handOffTo: ['billing-agent', 'isolated-agent'],
      },
      {
        id: 'billing-agent',
        auth: secretAuth('billing-agent', 'client_secret_post'),
        taskScopes: ['tickets:read', 'billing:read'],
        tools: { [BILLING]: { scopes: ['billing:read'] }, [TICKETS]: { scopes: ['tickets:read'] } },
        handOffTo: ['support-agent'],
      },
      {
        id: 'isolated-agent',
        auth: secretAuth('isolated-agent'),
        taskScopes: ['tickets:read'],
        tools: { [TICKETS]: { scopes: ['tickets:read'] } },
        handOffTo: [],
      },
      {
        id: 'orchestrator',
        auth: secretAuth('orchestrator'),
        taskScopes: ['tickets:read', 'billing:read'],
        tools: {},
        handOffTo: ['billing-agent', 'support-agent'],
        mayPresentActorTokens: true,
      },
    ],
    tools: [
      {
        resource: TICKETS,
        name: 'tickets',
        scopes: ['tickets:read', 'tickets:write'],
        resourceServer: { clientId: 'tickets-rs', auth: secretAuth('tickets-rs') },
      },
      {
        resource: BILLING,
        name: 'billing',
        scopes: ['billing:read', 'billing:export'],
        resourceServer: { clientId: 'billing-rs', auth: secretAuth('billing-rs') },
      },
    ],
    admin: { keyHashes: [hashSecret(ADMIN_KEY)] },
  };
}

/** A tool behind a person's approval, for approval tests: `deploy:prod` at DEPLOY_TOOL. */
export const DEPLOY_TOOL = 'https://tools.test/deploy';

/**
 * Adds the deploy tool to a raw test config and lets support-agent ask for it, each call
 * needing approval (`requireApproval`); `tool` adds fields to the tool (its `actions`, say).
 */
export function withDeployApproval(
  raw: Record<string, unknown>,
  tool: Record<string, unknown> = {},
): void {
  const agents = raw.agents as {
    id: string;
    tools: Record<string, unknown>;
    taskScopes: string[];
  }[];
  const support = agents.find((a) => a.id === 'support-agent');
  if (!support) throw new Error('the test cast has no support-agent');
  support.tools[DEPLOY_TOOL] = { scopes: ['deploy:prod'], requireApproval: true };
  support.taskScopes.push('deploy:prod');
  (raw.tools as unknown[]).push({
    resource: DEPLOY_TOOL,
    name: 'deploy',
    scopes: ['deploy:prod'],
    ...tool,
    resourceServer: {
      clientId: 'deploy-rs',
      auth: {
        method: 'client_secret_basic',
        secretHash: hashSecret('deploy-rs-secret-0123456789abcdefghijklmnopqrstu'),
      },
    },
  });
}

export function testConfig(
  upstream: Upstream,
  patch: (raw: Record<string, unknown>) => void = () => {},
): Config {
  const raw = rawTestConfig(upstream);
  patch(raw);
  return parseConfig(raw, 'test');
}

export async function testKeys(config: Config): Promise<KeySet> {
  return KeySet.fromFiles([await createKey('ES256')], config.defaults.taskTtlSeconds);
}

export interface RunningBaton {
  baton: BatonInstance;
  url: string;
  config: Config;
  close(): Promise<void>;
}

/** A Baton over real HTTP on 127.0.0.1, on an ephemeral port unless `port` (a restart) is given; silent unless given a logger. */
export async function startBaton(
  config: Config,
  opts: { store?: TokenStore; keys?: KeySet; log?: Logger; port?: number } = {},
): Promise<RunningBaton> {
  const baton = await bootBaton(config, {
    keys: opts.keys ?? (await testKeys(config)),
    log: opts.log ?? createLogger('silent'),
    ...(opts.store ? { store: opts.store } : {}),
  });
  const url = await baton.listen(opts.port ?? 0, '127.0.0.1');
  return { baton, url, config, close: () => baton.close() };
}

/** A structured log whose entries a test reads back (`entries`, parsed JSON, oldest first). */
export function capturedLog(level = 'debug'): { log: Logger; entries: Record<string, unknown>[] } {
  const entries: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) entries.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level }, sink), entries };
}

/** The common file setup: a fresh upstream IdP and a Baton of the test cast on it. */
export async function startTestBaton(
  patch?: (raw: Record<string, unknown>) => void,
): Promise<{ upstream: Upstream; b: RunningBaton; url: string }> {
  const upstream = await makeUpstream();
  const b = await startBaton(testConfig(upstream, patch));
  return { upstream, b, url: b.url };
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Credentials for a test client, in the method its config names. */
export function credentials(id: ClientId): {
  headers: Record<string, string>;
  form: Record<string, string>;
} {
  return id === 'billing-agent'
    ? { headers: {}, form: { client_id: id, client_secret: SECRETS[id] } }
    : { headers: { authorization: basic(id, SECRETS[id]) }, form: {} };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export const FORM = 'application/x-www-form-urlencoded';

/** An urlencoded body; an array value repeats its name, in order. */
export function formBody(fields: Record<string, string | string[]>): string {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields))
    for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  return body.toString();
}

export async function postForm(
  url: string,
  fields: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body: formBody(fields),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** POST /token as a test client. */
export function exchange(
  url: string,
  as: ClientId,
  fields: Record<string, string | string[]>,
): Promise<HttpResult> {
  const c = credentials(as);
  return postForm(
    `${url}/token`,
    {
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token_type: TOKEN_TYPE_ACCESS,
      ...c.form,
      ...fields,
    },
    c.headers,
  );
}

export async function introspectAs(
  url: string,
  as: 'tickets-rs' | 'billing-rs',
  token: string,
): Promise<Record<string, unknown>> {
  const r = await postForm(
    `${url}/introspect`,
    { token },
    { authorization: basic(as, SECRETS[as]) },
  );
  if (r.status !== 200) throw new Error(`introspect ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** The common path: a user token -> a task token for `agent`. */
export async function startTaskToken(
  url: string,
  upstream: Upstream,
  agent: ClientId = 'support-agent',
  fields: Record<string, string> = {},
): Promise<string> {
  const r = await exchange(url, agent, {
    subject_token: await upstream.userToken(),
    audience: ISSUER,
    ...fields,
  });
  if (r.status !== 200) throw new Error(`task start failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}

// ---- Helpers for exchange-rule and security tests -------------------------------------------

/** Claims of a Baton token, read without verifying (tests check what was issued). */
export const claimsOf = (token: string): BatonClaims => decodeJwt(token) as unknown as BatonClaims;

/** POST /token with raw credentials (headers and form as given): for client-auth tests. */
export function tokenRequest(
  url: string,
  fields: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return postForm(
    `${url}/token`,
    { grant_type: GRANT_TOKEN_EXCHANGE, subject_token_type: TOKEN_TYPE_ACCESS, ...fields },
    headers,
  );
}

/** POST /token that must succeed; returns the token and its claims. */
export async function exchangeOk(
  url: string,
  as: ClientId,
  fields: Record<string, string | string[]>,
): Promise<{ token: string; claims: BatonClaims; body: Record<string, unknown> }> {
  const r = await exchange(url, as, fields);
  if (r.status !== 200)
    throw new Error(`exchange as ${as} failed: ${r.status} ${JSON.stringify(r.body)}`);
  const token = r.body.access_token as string;
  return { token, claims: claimsOf(token), body: r.body };
}

/** `to` takes the task token `token` (hand-off, audience = Baton). */
export async function handOffTask(url: string, to: ClientId, token: string): Promise<string> {
  return (await exchangeOk(url, to, { subject_token: token, audience: ISSUER })).token;
}

/** GET /admin/tasks/{txn} with the admin key. */
export async function adminTask(
  url: string,
  txn: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/admin/tasks/${encodeURIComponent(txn)}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Number of tokens in an admin task tree (nodes nest through `children`). */
export function countTreeTokens(nodes: unknown): number {
  return (nodes as { children: unknown }[]).reduce(
    (n, node) => n + 1 + countTreeTokens(node.children),
    0,
  );
}

export async function adminTokenCount(url: string, txn: string): Promise<number> {
  const t = await adminTask(url, txn);
  if (t.status !== 200) throw new Error(`admin task ${t.status} ${JSON.stringify(t.body)}`);
  return countTreeTokens(t.body.tokens);
}

/** POST /tasks/{txn}/complete as a test client. */
export function completeTaskAs(
  url: string,
  as: ClientId,
  txn: string,
  outcome = 'succeeded',
): Promise<HttpResult> {
  const c = credentials(as);
  return postJson(
    `${url}/tasks/${encodeURIComponent(txn)}/complete`,
    { outcome, ...c.form },
    c.headers,
  );
}

/** POST /revoke (RFC 7009) as a test client. */
export async function revokeAs(url: string, as: ClientId, token: string): Promise<number> {
  const c = credentials(as);
  return (await postForm(`${url}/revoke`, { token, ...c.form }, c.headers)).status;
}

const b64url = (v: unknown) =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** An unsigned JWT (`alg: none`), built by hand since jose refuses to make one. */
export function unsignedJwt(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  return `${b64url({ alg: 'none', typ: 'at+jwt', ...header })}.${b64url(payload)}.`;
}

/** HS256 JWT with `secret` as the HMAC key: with a public key's bytes, the alg-confusion attack. */
export function hmacJwt(
  payload: Record<string, unknown>,
  secret: string | Buffer,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', ...header })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** The same token with its payload changed and the original signature kept. */
export function tamperPayload(token: string, patch: Record<string, unknown>): string {
  const [h, p, s] = token.split('.');
  return `${h}.${b64url({ ...JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')), ...patch })}.${s}`;
}

/** PEM (SPKI) of a public JWK: the bytes an attacker would use as an HMAC secret. */
export function publicPem(jwk: JWK): string {
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

/** A Baton token signed with the running Baton's own key, for claims no exchange would give (expired, not yet valid). */
export async function mintWithBatonKey(baton: BatonInstance, claims: BatonClaims): Promise<string> {
  return signToken(baton.ctx.keys, claims);
}

/** Standard user-token claims with overrides, for hand-built (unsigned / HMAC) tokens. */
export function userClaims(
  upstream: Upstream,
  patch: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: upstream.issuer,
    sub: 'alice@example.com',
    aud: ISSUER,
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    scope: 'tickets:read',
    ...patch,
  };
}

/** A private_key_jwt client key pair: the private key and the public JWKS for its config. */
export async function makeClientKey(
  kid = 'client-1',
): Promise<{ privateKey: CryptoKey; jwks: { keys: JWK[] } }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    privateKey,
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
  };
}

/** RFC 7523 client assertion: iss = sub = client_id, aud, short exp, unique jti. */
export function clientAssertion(
  key: CryptoKey,
  clientId: string,
  o: { aud?: string; expIn?: number; jti?: string; iss?: string; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? 'client-1' })
    .setIssuer(o.iss ?? clientId)
    .setSubject(clientId)
    .setAudience(o.aud ?? ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expIn ?? 60))
    .setJti(o.jti ?? randomUUID())
    .sign(key);
}

/** Form fields that authenticate with a client assertion (private_key_jwt). */
export const assertionForm = (assertion: string): Record<string, string> => ({
  client_assertion_type: ASSERTION_TYPE,
  client_assertion: assertion,
});
