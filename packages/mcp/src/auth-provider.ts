import { TOKEN_TYPE_ACCESS, type Task } from '@baton/agent';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  AuthorizationServerMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';

const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** A held token is not offered this close to its expiry (seconds): the SDK then asks anew. */
const EXPIRY_MARGIN_SECONDS = 30;

/** Options of `batonAuthProvider`. */
export interface BatonAuthProviderOptions {
  /** Baton's issuer; its RFC 8414 metadata is read from there once. */
  issuer: string;
  /** The MCP server's resource URI (its RFC 9728 `resource`). */
  resource: string;
  /** The agent's client id and secret at Baton (`client_secret_basic`). */
  clientId: string;
  clientSecret: string;
  scope?: string[];
  fetch?: typeof fetch;
}

/**
 * An `OAuthClientProvider` for hosts that take only the SDK's `authProvider`: the SDK itself
 * gets the tool token, by RFC 8693 exchange of the task's token (`prepareTokenRequest`), from
 * Baton's metadata the provider hands it (`discoveryState`), so the SDK neither discovers nor
 * asks for an authorization endpoint Baton does not have. Bearer only (the SDK sends
 * `Authorization: Bearer`): an unbound task, no per-call tokens, no approvals — `batonTransport`
 * does those.
 */
export async function batonAuthProvider(
  task: Task,
  o: BatonAuthProviderOptions,
): Promise<OAuthClientProvider> {
  const fetchFn = o.fetch ?? globalThis.fetch;
  const base = o.issuer.replace(/\/+$/, '');
  const res = await fetchFn(`${base}/.well-known/oauth-authorization-server`, {
    headers: { accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`Baton's metadata answered HTTP ${res.status}`);
  const metadata = (await res.json()) as AuthorizationServerMetadata;
  // RFC 8414 §3.3: the metadata must name the issuer it was asked for.
  if (metadata.issuer !== o.issuer)
    throw new Error(`Baton's metadata names issuer ${metadata.issuer}, not ${o.issuer}`);
  const state = {
    authorizationServerUrl: o.issuer,
    authorizationServerMetadata: metadata,
    resourceMetadata: { resource: o.resource, authorization_servers: [o.issuer] },
  };
  let held: { tokens: OAuthTokens; until: number } | undefined;
  const noAuthorizationEndpoint = () => {
    throw new Error('Baton has no authorization endpoint: tokens come from the task (RFC 8693)');
  };
  return {
    redirectUrl: undefined,
    clientMetadata: {
      redirect_uris: [],
      grant_types: [GRANT_TOKEN_EXCHANGE],
      token_endpoint_auth_method: 'client_secret_basic',
      client_name: o.clientId,
      ...(o.scope ? { scope: o.scope.join(' ') } : {}),
    },
    clientInformation: () => ({
      client_id: o.clientId,
      client_secret: o.clientSecret,
      issuer: o.issuer,
    }),
    tokens() {
      if (held && held.until <= Date.now() / 1000) held = undefined;
      return held?.tokens;
    },
    saveTokens(tokens) {
      const life = tokens.expires_in ?? 60;
      held = { tokens, until: Date.now() / 1000 + life - EXPIRY_MARGIN_SECONDS };
    },
    discoveryState: () => state,
    prepareTokenRequest: () =>
      new URLSearchParams({
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: task.taskToken,
        subject_token_type: TOKEN_TYPE_ACCESS,
        ...(o.scope ? { scope: o.scope.join(' ') } : {}),
      }),
    invalidateCredentials(scope) {
      if (scope === 'all' || scope === 'tokens') held = undefined;
    },
    redirectToAuthorization: noAuthorizationEndpoint,
    saveCodeVerifier: () => {},
    codeVerifier: noAuthorizationEndpoint,
  };
}
