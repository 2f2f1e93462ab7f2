import * as oauth from 'oauth4webapi';
import type { HttpOptions } from './http-options.js';

/**
 * RFC 8414 discovery: Baton's metadata at `<issuer>/.well-known/oauth-authorization-server`,
 * checked by oauth4webapi (the `issuer` must equal the one configured, §3.3).
 */
export async function discoverBaton(
  issuer: string,
  http: HttpOptions,
): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  const response = await oauth.discoveryRequest(url, { algorithm: 'oauth2', ...http.oauth });
  return oauth.processDiscoveryResponse(url, response);
}
