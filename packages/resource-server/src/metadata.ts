import type { BatonVerifier } from './verifier.js';

/** RFC 9728 §3.1: the well-known suffix goes between the host and the resource's path. */
export function resourceMetadataUrl(resource: string): string {
  const u = new URL(resource);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '');
  return `${u.origin}/.well-known/oauth-protected-resource${path}`;
}

/** The paths metadata is served at: the RFC 9728 path form, and the bare one. */
export function resourceMetadataPaths(resource: string): string[] {
  const path = new URL(resourceMetadataUrl(resource)).pathname;
  const bare = '/.well-known/oauth-protected-resource';
  return path === bare ? [bare] : [path, bare];
}

/** RFC 9728 §2 protected resource metadata, pointing at Baton; DPoP fields per RFC 9449 §5.1. */
export function protectedResourceMetadata(v: BatonVerifier): Record<string, unknown> {
  const o = v.options;
  return {
    resource: o.resource,
    authorization_servers: [o.issuer],
    bearer_methods_supported: ['header'],
    ...(o.scopesSupported ? { scopes_supported: [...o.scopesSupported] } : {}),
    ...(o.dpop !== 'off'
      ? {
          dpop_signing_alg_values_supported: [...o.dpopAlgorithms],
          dpop_bound_access_tokens_required: o.dpop === 'required',
        }
      : {}),
  };
}
