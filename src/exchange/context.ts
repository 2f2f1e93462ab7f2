import type { Config, ToolConfig } from '../config/schema.js';
import type { ClientRegistry } from '../auth/clients.js';
import type { KeySet } from '../keys/keyset.js';
import type { MarkCache } from '../revocation/marks.js';
import type { FeedHub } from '../revocation/feed-hub.js';
import type { TokenStore } from '../store/store.js';
import type { OwnTokenVerifier } from '../tokens/verify-own.js';
import type { UpstreamVerifier } from '../tokens/verify-upstream.js';
import type { AuditLog } from '../audit/log.js';
import type { Logger } from '../log.js';
import type { PolicySource } from '../policy/decide.js';

/** Everything the domain needs, wired once by http/ or cli/. No express, no ioredis. */
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
  audit: AuditLog;
  /** The Cedar policy in force, if any (swapped atomically on reload). */
  policy?: PolicySource & { readonly version: string | undefined };
  log: Logger;
  newId(): string;
}

/** Tools by resource URI and by name (an `audience` may use either). */
export class ToolIndex {
  private readonly byKey = new Map<string, ToolConfig>();
  constructor(tools: ToolConfig[]) {
    for (const t of tools) {
      this.byKey.set(t.resource, t);
      if (t.name) this.byKey.set(t.name, t);
    }
  }
  find(target: string): ToolConfig | undefined {
    return this.byKey.get(target);
  }
}
