import type { Audit } from './audit/log.js';
import type { ClientRegistry, ToolIndex } from './auth/clients.js';
import type { DpopDeps } from './auth/dpop.js';
import type { Config } from './config/schema.js';
import type { KeySet } from './keys/keyset.js';
import type { RequestLimits } from './limits/request-limits.js';
import type { Logger } from './log.js';
import type { PolicySource } from './policy/decide.js';
import type { FeedHub } from './revocation/feed-hub.js';
import type { MarkCache } from './revocation/marks.js';
import type { TokenStore } from './store/store.js';
import type { OwnTokenVerifier } from './tokens/verify-own.js';
import type { UpstreamVerifier } from './tokens/verify-upstream.js';

/**
 * What the parts share, wired once by boot.ts for http/ and cli/. Types only: each part
 * declares the narrow dependencies it uses (`IntrospectionDeps`, `RevocationDeps`, ...) and
 * this bag satisfies them all. No express, no ioredis.
 */
export interface BatonContext {
  config: Config;
  clients: ClientRegistry;
  tools: ToolIndex;
  keys: KeySet;
  own: OwnTokenVerifier;
  upstream: UpstreamVerifier;
  store: TokenStore;
  marks: MarkCache;
  feed: FeedHub;
  audit: Audit;
  /** Rate limits per client, and on failed authentications (src/limits/). */
  limits: RequestLimits;
  /** The Cedar policy in force, if any (swapped atomically on reload). */
  policy?: PolicySource & {
    readonly version: string | undefined;
    readonly lastReloadError?: { at: number; problems: string[] } | undefined;
  };
  log: Logger;
  /** DPoP proof checks (RFC 9449 §4.3): allow-list, window, shared replay record, nonces. */
  dpop: DpopDeps;
  newId(): string;
}
