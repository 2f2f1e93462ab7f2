/**
 * Helpers for the end-to-end story tests (test/story/story.test.ts,
 * test/interop/openid-client.test.ts, test/demo/demo.test.ts): a Baton whose trusted issuer is the REAL embedded oidc-provider IdP
 * (src/demo/idp.ts), raw task-completion calls, Redis key inspection, and the demo's own
 * credentials (src/demo/cast.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bootBaton, type BatonInstance } from '../../src/boot.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { DEMO } from '../../src/demo/cast.js';
import { startDemoIdp, type DemoIdp } from '../../src/demo/idp.js';
import { createLogger } from '../../src/log.js';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import {
  basic,
  ISSUER,
  postForm,
  rawTestConfig,
  testKeys,
  type HttpResult,
  type Upstream,
} from './fixtures.js';
import { dropKeysUnder, keysUnder } from './redis-keys.js';

/** The IdP's demo user (src/demo/idp.ts DEFAULT_USERS). */
export const ALICE = { username: 'alice@example.com', password: 'alice-demo-password' } as const;
/** What the story asks the IdP for: everything support-agent may hold for a task. */
export const STORY_SCOPE = 'tickets:read tickets:write billing:read';

/** The members of an active introspection response (docs/endpoints.md, "POST /introspect"). */
export const INTROSPECTION_FIELDS = [
  'act',
  'active',
  'aud',
  'client_id',
  'exp',
  'iat',
  'iss',
  'jti',
  'nbf',
  'scope',
  'sub',
  'token_type',
  'txn',
] as const;

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export type StoreInput = { kind: 'memory' } | { kind: 'redis'; url: string; prefix: string };

/**
 * The test cast (fixtures.rawTestConfig) with the embedded IdP as its only trusted issuer, by
 * `jwksUri` (real JWKS fetched over HTTP), accepting tokens whose `aud` is Baton's issuer.
 */
export function idpConfig(
  idp: Pick<DemoIdp, 'issuer' | 'jwksUri'>,
  opts: { issuer?: string; store?: StoreInput } = {},
): Config {
  // rawTestConfig reads only `issuer` and `jwk` of its upstream, for the trustedIssuers entry
  // this function replaces.
  const raw = rawTestConfig({ issuer: idp.issuer, jwk: {} } as unknown as Upstream);
  const issuer = opts.issuer ?? ISSUER;
  raw.issuer = issuer;
  raw.trustedIssuers = [
    { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: issuer, algorithms: ['ES256'] },
  ];
  if (opts.store) raw.store = opts.store;
  return parseConfig(raw, 'story test');
}

/** Alice's access token, from the IdP over real HTTP. */
export async function aliceToken(idp: DemoIdp, scope = STORY_SCOPE): Promise<string> {
  return (await idp.issueUserToken(ALICE.username, ALICE.password, scope)).access_token;
}

/** POST /tasks/{txn}/complete with any body (raw JSON string or a value) and headers. */
export async function postComplete(
  url: string,
  txn: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await fetch(`${url}/tasks/${encodeURIComponent(txn)}/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** Every key in Redis at `url` that starts with `prefix` (SCAN, never KEYS). */
export function redisKeysUnder(url: string, prefix: string): Promise<string[]> {
  return keysUnder({ url }, prefix);
}

/** Deletes what a test wrote under its own unique prefix (and nothing else). */
export async function deleteRedisKeysUnder(url: string, prefix: string): Promise<void> {
  await dropKeysUnder({ url }, prefix);
}

// ---- The demo (src/demo/cast.ts) --------------------------------------------------------------

export type DemoAgent = keyof typeof DEMO.agents;
export type DemoTool = keyof typeof DEMO.tools;

/** POST /token as a demo agent (all use client_secret_basic). */
export function demoExchange(
  url: string,
  agent: DemoAgent,
  fields: Record<string, string>,
): Promise<HttpResult> {
  return postForm(
    `${url}/token`,
    { grant_type: GRANT_TOKEN_EXCHANGE, subject_token_type: TOKEN_TYPE_ACCESS, ...fields },
    { authorization: basic(agent, DEMO.agents[agent]) },
  );
}

/** POST /introspect as a demo tool's resource server. */
export function demoIntrospect(url: string, tool: DemoTool, token: string): Promise<HttpResult> {
  const t = DEMO.tools[tool];
  return postForm(`${url}/introspect`, { token }, { authorization: basic(t.rs, t.secret) });
}

/** The one `curl` line of the demo banner. */
export function bannerCurl(banner: string): string {
  const line = banner
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('curl '));
  if (!line) throw new Error(`no curl command in the banner:\n${banner}`);
  return line;
}

/** Runs the rest of a test from a fresh temp directory (the demo writes ./keys); undo() restores. */
export async function inTempDir(): Promise<{ dir: string; undo(): Promise<void> }> {
  const before = process.cwd();
  const dir = await mkdtemp(path.join(tmpdir(), 'baton-demo-'));
  process.chdir(dir);
  return {
    dir,
    undo: async () => {
      process.chdir(before);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---- A Baton whose issuer is its real URL (for clients that check metadata, e.g. openid-client) ----

export interface IssuerBaton {
  baton: BatonInstance;
  idp: DemoIdp;
  /** http://127.0.0.1:PORT, equal to Baton's configured issuer and to where it listens. */
  issuer: string;
  close(): Promise<void>;
}

/**
 * Picks a free loopback port, starts the IdP with audience http://127.0.0.1:PORT, boots Baton with
 * that issuer (test cast, memory store) and listens on exactly that port. Retries with a new port
 * if another process took it meanwhile.
 */
export async function startBatonAtItsIssuer(): Promise<IssuerBaton> {
  let last: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const idp = await startDemoIdp({ audience: issuer });
    const config = idpConfig(idp, { issuer });
    const baton = await bootBaton(config, {
      keys: await testKeys(config),
      log: createLogger('silent'),
    });
    try {
      const url = await baton.listen(port, '127.0.0.1');
      if (url !== issuer) throw new Error(`listening on ${url}, expected ${issuer}`);
      return {
        baton,
        idp,
        issuer,
        close: async () => {
          await baton.close();
          await idp.close();
        },
      };
    } catch (e) {
      last = e;
      await baton.close().catch(() => {});
      await idp.close();
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
