import { type BatonVerifier, InvalidTokenError } from '@baton/resource-server';
import { InvalidTokenError as SdkInvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import { authInfoOf } from './auth-info.js';

/**
 * An `OAuthTokenVerifier` for the SDK's own `requireBearerAuth`, for bearer-only servers. That
 * middleware hands over the token alone (no method, URL or DPoP header), so a DPoP-bound token
 * cannot pass it (RFC 9449 §7.2: never as a bearer token) — use the gate of
 * `@baton/mcp/express` for DPoP. Bound calls are not enforced here either: the gate does that.
 */
export function bearerTokenVerifier(verifier: BatonVerifier): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token) {
      try {
        const p = await verifier.verify({
          method: 'POST',
          url: verifier.options.resource,
          headers: { authorization: `Bearer ${token}` },
        });
        return authInfoOf(p);
      } catch (e) {
        // The SDK answers its own InvalidTokenError with 401; anything else would be a 500.
        if (e instanceof InvalidTokenError) throw new SdkInvalidTokenError(e.message);
        throw e;
      }
    },
  };
}
