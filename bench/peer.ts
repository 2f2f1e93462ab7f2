/**
 * The peer Baton is measured against: a real oidc-provider (v9) on loopback, configured the way
 * a Node user would for machine-to-machine tokens:
 *
 * - a confidential client (`client_secret_basic`) using `client_credentials`, asking for a
 *   resource whose resource-server info says `accessTokenFormat: 'jwt'` signed ES256 (the same
 *   key type Baton signs with): scenario 4;
 * - a second resource with opaque access tokens (stored in oidc-provider's memory adapter), and
 *   a resource server client that introspects them (`features.introspection`): scenario 5. Its
 *   `allowedPolicy` only lets a resource server see tokens for its own resource, the same
 *   audience check Baton makes.
 *
 * Built like src/demo/idp.ts (which this file does not touch): the memory adapter passed
 * explicitly, the Node 20 "Unsupported runtime" warning line dropped.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

export const PEER = {
  agent: { id: 'peer-agent', secret: 'peer-agent-secret-0123456789abcdefghijklmnopqrstuv' },
  rs: { id: 'peer-rs', secret: 'peer-rs-secret-0123456789abcdefghijklmnopqrstuvwxy' },
  /** Resource whose access tokens are ES256 JWTs (RFC 9068), like Baton's tool tokens. */
  jwtResource: 'https://tools.test/tickets',
  /** Resource whose access tokens are opaque and introspected. */
  opaqueResource: 'https://tools.test/opaque-tickets',
  scope: 'tickets:read tickets:write',
  routes: { token: '/token', introspect: '/token/introspection', jwks: '/jwks' },
} as const;

export interface Peer {
  url: string;
  close(): Promise<void>;
}

interface ResourceServerInfo {
  scope: string;
  audience: string;
  accessTokenFormat: 'jwt' | 'opaque';
  accessTokenTTL: number;
  jwt?: { sign: { alg: string } };
}
interface TokenLike {
  aud?: string | string[];
}
// oidc-provider ships no types; the specifier is a variable so tsc does not look for a .d.ts.
interface OidcProviderModule {
  default: new (
    issuer: string,
    config: Record<string, unknown>,
  ) => {
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    proxy?: boolean;
  };
  errors: { InvalidTarget: new (description?: string) => Error };
}

export async function startPeer(host = '127.0.0.1'): Promise<Peer> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const issuer = `http://${address}:${port}`;

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
  const { createMemoryAdapter } = (await import(`${spec}/lib/adapters/memory_adapter.js`)) as {
    createMemoryAdapter(clockTolerance?: number): (model: string) => unknown;
  };

  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const signingKey = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };

  const resources: Record<string, ResourceServerInfo> = {
    [PEER.jwtResource]: {
      scope: PEER.scope,
      audience: PEER.jwtResource,
      accessTokenFormat: 'jwt',
      accessTokenTTL: 120,
      jwt: { sign: { alg: 'ES256' } },
    },
    [PEER.opaqueResource]: {
      scope: PEER.scope,
      audience: PEER.opaqueResource,
      accessTokenFormat: 'opaque',
      accessTokenTTL: 3600,
    },
  };

  const provider = new Provider(issuer, {
    adapter: createMemoryAdapter(),
    jwks: { keys: [signingKey] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    clients: [
      {
        client_id: PEER.agent.id,
        client_secret: PEER.agent.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: PEER.scope,
      },
      {
        client_id: PEER.rs.id,
        client_secret: PEER.rs.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: PEER.scope.split(' '),
    routes: {
      token: PEER.routes.token,
      introspection: PEER.routes.introspect,
      jwks: PEER.routes.jwks,
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      ClientCredentials: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? 600,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A resource server sees only tokens for its own resource (Baton checks aud the same way).
        allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: TokenLike) =>
          client.clientId === PEER.rs.id &&
          (Array.isArray(token.aud)
            ? token.aud.includes(PEER.opaqueResource)
            : token.aud === PEER.opaqueResource),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          const info = resources[indicator];
          if (!info) throw new errors.InvalidTarget();
          return info;
        },
      },
    },
  });

  server.on('request', provider.callback());
  return {
    url: issuer,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
