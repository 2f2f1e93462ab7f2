/**
 * One fixture builder for configs, tokens and clients (STYLE.md). Tests build a Baton from
 * `testConfig()` and an upstream IdP from `makeUpstream()` (real keys, real JWTs via jose);
 * integration tests use the real oidc-provider instead (src/demo/idp.ts).
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { hashSecret } from '../../src/auth/secrets.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { bootBaton, type BatonInstance } from '../../src/boot.js';
import { createKey, KeySet } from '../../src/keys/keyset.js';
import { createLogger } from '../../src/log.js';
import type { TokenStore } from '../../src/store/store.js';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';

export const ISSUER = 'http://baton.test';
export const TICKETS = 'https://tools.test/tickets';
export const BILLING = 'https://tools.test/billing';
export const ADMIN_KEY = 'test-admin-key-0123456789abcdefghijklmnopqrstuv';

/** Client secrets of the test cast. */
export const SECRETS = {
  'support-agent': 'support-secret-0123456789abcdefghijklmnopqrstuvwx',
  'billing-agent': 'billing-secret-0123456789abcdefghijklmnopqrstuvwx',
  'isolated-agent': 'isolated-secret-0123456789abcdefghijklmnopqrstuv',
  'orchestrator': 'orchestrator-secret-0123456789abcdefghijklmnopqrs',
  'tickets-rs': 'tickets-rs-secret-0123456789abcdefghijklmnopqrstu',
  'billing-rs': 'billing-rs-secret-0123456789abcdefghijklmnopqrstu',
} as const;
export type ClientId = keyof typeof SECRETS;

export interface Upstream {
  issuer: string;
  jwk: JWK;
  privateKey: CryptoKey;
  userToken(opts?: { sub?: string; scope?: string; aud?: string; expIn?: number; extra?: Record<string, unknown>; iss?: string; alg?: string; key?: CryptoKey }): Promise<string>;
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
      return new SignJWT({ scope: o.scope ?? 'tickets:read tickets:write billing:read', ...o.extra })
        .setProtectedHeader({ alg: o.alg ?? 'ES256', kid: 'idp-1', typ: 'at+jwt' })
        .setIssuer(o.iss ?? issuer)
        .setSubject(o.sub ?? 'alice@example.com')
        .setAudience(o.aud ?? ISSUER)
        .setIssuedAt(now)
        .setExpirationTime(now + (o.expIn ?? 3600))
        .setJti(randomUUID())
        .sign(o.key ?? privateKey);
    },
  };
}

const secretAuth = (id: ClientId, method: 'client_secret_basic' | 'client_secret_post' = 'client_secret_basic') => ({ method, secretHash: hashSecret(SECRETS[id]) });

/** The test cast: support-agent <-> billing-agent may hand off; isolated-agent takes from no one. */
export function rawTestConfig(upstream: Upstream): Record<string, unknown> {
  return {
    issuer: ISSUER,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    trustedIssuers: [{ issuer: upstream.issuer, jwks: { keys: [upstream.jwk] }, audience: ISSUER, algorithms: ['ES256'] }],
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
      { id: 'isolated-agent', auth: secretAuth('isolated-agent'), taskScopes: ['tickets:read'], tools: { [TICKETS]: { scopes: ['tickets:read'] } }, handOffTo: [] },
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
      { resource: TICKETS, name: 'tickets', scopes: ['tickets:read', 'tickets:write'], resourceServer: { clientId: 'tickets-rs', auth: secretAuth('tickets-rs') } },
      { resource: BILLING, name: 'billing', scopes: ['billing:read', 'billing:export'], resourceServer: { clientId: 'billing-rs', auth: secretAuth('billing-rs') } },
    ],
    admin: { keyHashes: [hashSecret(ADMIN_KEY)] },
  };
}

export function testConfig(upstream: Upstream, patch: (raw: Record<string, unknown>) => void = () => {}): Config {
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

/** A Baton over real HTTP on 127.0.0.1 with an ephemeral port. */
export async function startBaton(config: Config, opts: { store?: TokenStore; keys?: KeySet } = {}): Promise<RunningBaton> {
  const baton = await bootBaton(config, { keys: opts.keys ?? (await testKeys(config)), log: createLogger('silent'), ...(opts.store ? { store: opts.store } : {}) });
  const url = await baton.listen(0, '127.0.0.1');
  return { baton, url, config, close: () => baton.close() };
}

export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Credentials for a test client, in the method its config names. */
export function credentials(id: ClientId): { headers: Record<string, string>; form: Record<string, string> } {
  return id === 'billing-agent'
    ? { headers: {}, form: { client_id: id, client_secret: SECRETS[id] } }
    : { headers: { authorization: basic(id, SECRETS[id]) }, form: {} };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function postForm(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<HttpResult> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** POST /token as a test client. */
export function exchange(url: string, as: ClientId, fields: Record<string, string | string[]>): Promise<HttpResult> {
  const c = credentials(as);
  return postForm(`${url}/token`, { grant_type: GRANT_TOKEN_EXCHANGE, subject_token_type: TOKEN_TYPE_ACCESS, ...c.form, ...fields }, c.headers);
}

export async function introspectAs(url: string, as: 'tickets-rs' | 'billing-rs', token: string): Promise<Record<string, unknown>> {
  const r = await postForm(`${url}/introspect`, { token }, { authorization: basic(as, SECRETS[as]) });
  if (r.status !== 200) throw new Error(`introspect ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The common path: a user token -> a task token for `agent`. */
export async function startTaskToken(url: string, upstream: Upstream, agent: ClientId = 'support-agent', fields: Record<string, string> = {}): Promise<string> {
  const r = await exchange(url, agent, { subject_token: await upstream.userToken(), audience: ISSUER, ...fields });
  if (r.status !== 200) throw new Error(`task start failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}
