import { DEFAULTS } from '../config/defaults.js';
import type { ReplayStore } from '../store/store.js';
import type { ClientAuthDeps } from './client-auth.js';
import type { ClientRegistry } from './clients.js';

/** What client authentication is built from: the issuer, the registry, the replay store. */
export interface ClientAuthSources {
  config: { issuer: string };
  clients: ClientRegistry;
  store: ReplayStore;
}

/** An endpoint's URL as the issuer names it (assertion `aud`, DPoP `htu`, RFC 9449 §4.3). */
export const endpointUrl = (src: { config: { issuer: string } }, path: string): string =>
  src.config.issuer.replace(/\/$/, '') + path;

/** Client authentication for one endpoint: assertions must name the issuer or that endpoint. */
export function clientAuthDeps(src: ClientAuthSources, path: string): ClientAuthDeps {
  const endpoint = endpointUrl(src, path);
  return {
    clients: src.clients,
    assertionAudiences: [src.config.issuer, endpoint],
    maxAssertionLifetimeSeconds: DEFAULTS.maxAssertionLifetimeSeconds,
    clockToleranceSeconds: DEFAULTS.clockToleranceSeconds,
    replay: src.store,
  };
}
