import type { BatonPrincipal } from '@baton/resource-server';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

/**
 * The SDK's `AuthInfo` of a checked Baton token, as tool handlers read it (`extra.authInfo`):
 * `resource` is the token's `aud`, and Baton's whole principal (user, actors, task, bound call)
 * is in `extra.baton`.
 */
export function authInfoOf(p: BatonPrincipal): AuthInfo {
  return {
    token: p.token,
    clientId: p.client_id,
    scopes: [...p.scope],
    expiresAt: p.exp,
    resource: new URL(p.aud),
    extra: { baton: p },
  };
}

/** Baton's principal of an `AuthInfo` made by this package (undefined for any other). */
export function principalOfAuth(auth: AuthInfo | undefined): BatonPrincipal | undefined {
  return auth?.extra?.baton as BatonPrincipal | undefined;
}
