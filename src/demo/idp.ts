import { DEFAULTS } from '../config/defaults.js';
/**
 * Embedded "company IdP" for Baton's demo and tests: a real oidc-provider (v9) instance that
 * issues RFC 9068 JWT access tokens (typ at+jwt, ES256) for a demo user, so Baton validates
 * exactly the kind of upstream token it would see in production.
 *
 * To keep "get a user token" to one curl command, it registers a demo-only resource-owner
 * password grant (grant_type=password). Never expose this outside a demo: ROPC is deprecated.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

export interface DemoIdpOptions {
  port?: number;
  host?: string;
  audience: string;
  users?: Record<string, { password: string; claims?: Record<string, unknown> }>;
  scopes?: string[];
  accessTokenTtlSeconds?: number;
  /**
   * The admin console's redirect URI (`<Baton>/console/callback`, following PORT): registers the
   * console as a public client (authorization code + PKCE) and turns on oidc-provider's dev
   * login page (any password: demo only) so an admin can sign in.
   */
  consoleRedirectUri?: string;
}
export interface DemoIdp {
  issuer: string;
  jwksUri: string;
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** Gets a user access token over real HTTP from the running provider (same thing the curl does). */
  issueUserToken(
    username: string,
    password: string,
    scope: string,
  ): Promise<{ access_token: string; expires_in: number; scope: string }>;
  /** The one curl command a human runs to get the demo user's token (banner, docs/walkthrough.md). */
  curlCommand(username?: string, scope?: string): string;
  close(): Promise<void>;
}

const DEFAULT_USERS: NonNullable<DemoIdpOptions['users']> = {
  'alice@example.com': { password: 'alice-demo-password', claims: { tenant: 'acme' } },
  // The demo's admin: signs in to the console; the ID token's baton_role names the role.
  'ada@example.com': {
    password: 'ada-demo-password',
    claims: { email: 'ada@example.com', baton_role: 'admin' },
  },
};
/** The console's client at the demo IdP (public: PKCE, no secret). */
export const CONSOLE_CLIENT_ID = 'baton-console';
const DEFAULT_SCOPES = [
  'openid',
  'profile',
  'email',
  'tickets:read',
  'tickets:write',
  'billing:read',
  'billing:export',
  'billing:refund',
  'deploy:prod',
];
const CLIENT_ID = 'demo-cli';
// Fixed (not random) so the walkthrough is reproducible; the IdP only listens on loopback.
const CLIENT_SECRET = 'demo-cli-secret';
const ROUTES = { jwks: '/jwks', token: '/token' } as const;
/** The walkthrough's client at the demo IdP (password grant), for scripts that play the user. */
export const DEMO_CLI_CLIENT = {
  id: CLIENT_ID,
  secret: CLIENT_SECRET,
  tokenPath: ROUTES.token,
} as const;

// oidc-provider ships no TypeScript types (and @types/oidc-provider is not a dependency), so we
// describe only the slice we touch. The specifier is a variable so tsc doesn't demand a .d.ts.
interface GrantCtx {
  oidc: {
    params: Record<string, unknown>;
    client: unknown;
    entity(kind: string, value: unknown): void;
  };
  body: unknown;
}
interface GrantModel {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface ConsentCtx {
  oidc: {
    client: { clientId: string };
    session: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    provider: {
      Grant: (new (init: {
        clientId: string;
        accountId: string;
      }) => GrantModel) & {
        find(id: string): Promise<GrantModel | undefined>;
      };
    };
  };
}
interface AccessTokenModel {
  accountId?: string;
  scope?: string;
  resourceServer: unknown;
  expiration: number;
  tokenType: string;
  save(): Promise<string>;
}
interface OidcProviderModule {
  default: new (
    issuer: string,
    config: Record<string, unknown>,
  ) => {
    AccessToken: new (init: {
      accountId: string;
      client: unknown;
      gty: string;
      scope?: string;
    }) => AccessTokenModel;
    registerGrantType(
      name: string,
      handler: (ctx: GrantCtx) => Promise<void>,
      params: string[],
    ): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  };
  errors: {
    InvalidGrant: new (detail?: string) => Error;
    InvalidScope: new (description: string, scope?: string) => Error;
    InvalidRequest: new (description: string) => Error;
  };
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`; // POSIX shell single-quoting
// Compare digests so timingSafeEqual gets equal lengths and the length isn't leaked.
const sameSecret = (a: string, b: string): boolean =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

export async function startDemoIdp(opts: DemoIdpOptions): Promise<DemoIdp> {
  const users = opts.users ?? DEFAULT_USERS;
  const grantable = opts.scopes ?? DEFAULT_SCOPES;
  const ttl = opts.accessTokenTtlSeconds ?? DEFAULTS.demoIdpTokenTtlSeconds;

  // Bind first: the issuer must contain the real port, and Provider takes the issuer up front.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? DEFAULTS.demoIdpHost, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const issuer = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  // Lazy import: the package prints an "Unsupported runtime" warning (it wants Node 22) at load.
  // We drop exactly that line; everything else logged meanwhile passes through untouched.
  const spec = 'oidc-provider';
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('Unsupported runtime')) warn(...args);
  };
  let mod: OidcProviderModule;
  try {
    mod = (await import(spec)) as OidcProviderModule;
  } finally {
    console.warn = warn;
  }
  const { default: Provider, errors } = mod;
  // Passing the memory adapter explicitly (a per-instance store) is the same storage as the
  // default but skips its "development-only adapter" warning. The package has no "exports" map.
  const { createMemoryAdapter } = (await import(`${spec}/lib/adapters/memory_adapter.js`)) as {
    createMemoryAdapter(clockTolerance?: number): (model: string) => unknown;
  };

  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const signingKey = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };

  // A duck-typed oidc-provider ResourceServer (what features.resourceIndicators'
  // getResourceServerInfo would produce). Setting it on a token makes the token a JWT with
  // aud = Baton's issuer, signed ES256 by the key above (the only one in the keystore).
  const resourceServer = {
    audience: opts.audience,
    scope: grantable.join(' '),
    accessTokenFormat: 'jwt',
    accessTokenTTL: ttl,
    jwt: { sign: { alg: 'ES256' } },
    scopes: new Set(grantable),
    identifier: () => opts.audience,
  };

  const provider = new Provider(issuer, {
    adapter: createMemoryAdapter(),
    jwks: { keys: [signingKey] },
    // The keystore holds only an ES256 key; the RS256 default would fail client validation.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['password'],
        response_types: [],
        redirect_uris: [],
      },
      ...(opts.consoleRedirectUri
        ? [
            {
              client_id: CONSOLE_CLIENT_ID,
              token_endpoint_auth_method: 'none',
              grant_types: ['authorization_code'],
              response_types: ['code'],
              redirect_uris: [opts.consoleRedirectUri],
            },
          ]
        : []),
    ],
    scopes: [...grantable, 'baton'],
    // The console reads its role from the ID token: scope `baton` asks for the baton_role claim,
    // and the ID token carries the scopes' claims (not only the userinfo endpoint).
    claims: { openid: ['sub'], email: ['email'], baton: ['baton_role'] },
    conformIdTokenClaims: false,
    routes: ROUTES,
    // Random cookie keys + explicit TTL/account lookup silence dev warnings. The dev login page
    // (it takes any password) is on only for the console's demo login.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: { devInteractions: { enabled: opts.consoleRedirectUri !== undefined } },
    // The console is first-party: its scopes are granted without a consent page.
    loadExistingGrant: async (ctx: ConsentCtx) => {
      const { client, session, provider: p } = ctx.oidc;
      const existing = session.grantIdFor(client.clientId);
      if (existing) return p.Grant.find(existing);
      if (client.clientId !== CONSOLE_CLIENT_ID || !session.accountId) return undefined;
      const grant = new p.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid email baton');
      await grant.save();
      return grant;
    },
    ttl: { AccessToken: ttl },
    findAccount: (_ctx: unknown, sub: string) =>
      Object.hasOwn(users, sub)
        ? {
            accountId: sub,
            claims: () => ({
              sub,
              ...(users[sub]?.claims?.email ? { email: users[sub]?.claims?.email } : {}),
              ...(users[sub]?.claims?.baton_role
                ? { baton_role: users[sub]?.claims?.baton_role }
                : {}),
            }),
          }
        : undefined,
    // Copies the user's extra claims (e.g. tenant) into the access token; reserved claims
    // (iss/sub/aud/exp/scope...) are set after these by oidc-provider so they can't be overridden.
    extraTokenClaims: (_ctx: unknown, token: AccessTokenModel) =>
      token.accountId && Object.hasOwn(users, token.accountId)
        ? users[token.accountId]?.claims
        : undefined,
  });

  provider.registerGrantType(
    'password',
    async (ctx) => {
      const { username, password, scope } = ctx.oidc.params;
      if (typeof username !== 'string' || typeof password !== 'string') {
        throw new errors.InvalidRequest('username and password are required');
      }
      const user = Object.hasOwn(users, username) ? users[username] : undefined;
      // Same error for unknown user and wrong password, so the endpoint doesn't reveal who exists.
      if (!user || !sameSecret(password, user.password))
        throw new errors.InvalidGrant('invalid username or password');

      // Unknown scopes are refused (invalid_scope), not silently dropped: a typo then fails here,
      // loudly, instead of later as a confusing Baton policy denial. No scope = every grantable one.
      const requested =
        typeof scope === 'string' && scope.trim()
          ? [...new Set(scope.trim().split(/\s+/))]
          : grantable;
      const unknown = requested.filter((s) => !grantable.includes(s));
      if (unknown.length)
        throw new errors.InvalidScope(`unknown scope(s): ${unknown.join(' ')}`, unknown.join(' '));

      const token = new provider.AccessToken({
        accountId: username,
        client: ctx.oidc.client,
        gty: 'password',
        scope: requested.join(' '),
      });
      token.resourceServer = resourceServer;
      ctx.oidc.entity('AccessToken', token);
      const value = await token.save();
      ctx.body = {
        access_token: value,
        token_type: token.tokenType,
        expires_in: token.expiration,
        scope: token.scope,
      };
    },
    ['username', 'password', 'scope'],
  );

  server.on('request', provider.callback());

  const tokenEndpoint = `${issuer}${ROUTES.token}`;
  const defaultUser = Object.keys(users)[0] ?? 'alice@example.com';
  const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;

  return {
    issuer,
    jwksUri: `${issuer}${ROUTES.jwks}`,
    tokenEndpoint,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    async issueUserToken(username, password, scope) {
      const res = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username, password, scope }),
      });
      const body = (await res.json()) as Record<string, unknown>;
      if (!res.ok)
        throw new Error(
          `demo IdP refused token: ${String(body.error)}: ${String(body.error_description)}`,
        );
      return {
        access_token: String(body.access_token),
        expires_in: Number(body.expires_in),
        scope: String(body.scope),
      };
    },
    curlCommand(username = defaultUser, scope = grantable.join(' ')) {
      const password = users[username]?.password ?? '<password>';
      return [
        'curl -s',
        `-u ${q(`${CLIENT_ID}:${CLIENT_SECRET}`)}`,
        '-d grant_type=password',
        `--data-urlencode ${q(`username=${username}`)}`,
        `--data-urlencode ${q(`password=${password}`)}`,
        `--data-urlencode ${q(`scope=${scope}`)}`,
        q(tokenEndpoint),
      ].join(' ');
    },
    async close() {
      const closed = new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      );
      server.closeAllConnections();
      await closed;
    },
  };
}
