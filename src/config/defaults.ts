/** Every configuration default in one documented place (docs/configuration.md mirrors this). */
/** `signatures.threadPool` (docs/configuration.md, src/keys/offload.ts). */
export const THREAD_POOL_SETTINGS = ['auto', 'on', 'off'] as const;
export type ThreadPoolSetting = (typeof THREAD_POOL_SETTINGS)[number];

export const DEFAULTS = {
  port: 8080,
  host: '0.0.0.0',
  logLevel: 'info',
  /** `memory` for one instance; several instances share `redis`. */
  storeKind: 'memory',
  /** Reload the Cedar policy file when it changes. */
  policyWatch: true,
  /** Task lifetime: a task token never outlives this, nor the user token it came from. */
  taskTtlSeconds: 15 * 60,
  /**
   * The longest a task may run, renewals included: a renewal never moves the deadline past the
   * task's start + this (docs/endpoints.md, "POST /tasks/{txn}/renew").
   */
  taskMaxSeconds: 24 * 60 * 60,
  /** Tool token lifetime unless the agent's tool rule says less. */
  toolTokenTtlSeconds: 5 * 60,
  /** Number of `act` levels: a task token is depth 1, each hand-off adds one. */
  maxDepth: 4,
  purposeMaxLength: 500,
  /** Small on purpose: an exchange request is a few KB at most. */
  maxBodyBytes: 16 * 1024,
  /** Clock skew accepted on exp/nbf/iat of incoming tokens and client assertions. */
  clockToleranceSeconds: 5,
  /** Client assertions (private_key_jwt) may live at most this long. */
  maxAssertionLifetimeSeconds: 300,
  /** Verified-token cache entries (each ~1 KB). */
  verifiedTokenCacheSize: 10_000,
  /** Algorithms accepted from a trusted issuer unless its config lists them. */
  upstreamAlgorithms: ['ES256', 'RS256'],
  /** Decoded secret hashes kept (config holds a handful; the bound stops unbounded growth). */
  decodedSecretHashesMax: 10_000,
  /** Redis key prefix; lets several deployments share a server. */
  redisPrefix: 'baton:',
  /** The Redis server when the store names none (no url, cluster or sentinel). */
  redisUrl: 'redis://127.0.0.1:6379',
  /**
   * A store that does not answer: one budget for all the store work of one request (every call
   * it makes, never multiplied by retries), then 503 `temporarily_unavailable`.
   */
  storeRequestTimeoutMs: 1_000,
  /** /readyz's ping, on a connection of its own, never queued behind hung commands. */
  storePingTimeoutMs: 500,
  /** The `Retry-After` of every 503 `temporarily_unavailable` (RFC 9110 §10.2.3), in seconds. */
  retryAfterSeconds: 1,
  /** Cross-task revocation marks held in process fail closed when not refreshed for this long. */
  marksMaxStalenessMs: 5_000,
  /** How often each instance reads the marks changed since its last read, besides the feed. */
  marksRefreshMs: 1_000,
  /**
   * Marks per store call when reading them (and expired marks dropped per call); a read of
   * more pages yields to the event loop between them, so no refresh blocks Node or Redis long.
   */
  marksReadChunk: 1_000,
  /** Feed entries kept for catch-up after a reconnect. */
  feedMaxLength: 100_000,
  /** Audit events kept per task, in the global stream, and for how long after a task's deadline. */
  auditTaskMaxEvents: 10_000,
  auditGlobalMaxEvents: 200_000,
  auditMaxAgeSeconds: 7 * 24 * 3600,
  /**
   * Refusals (exchange_refused, introspection_refused) live apart from the decisions, bounded
   * on their own per task and globally, so no volume of them evicts a task's story. Per task
   * (or, without one, globally) and client, the first `auditRefusalBurst` in each window are
   * filed one by one; the rest are counted into one `refusals_suppressed` event.
   */
  auditTaskMaxRefusals: 1_000,
  auditGlobalMaxRefusals: 100_000,
  auditRefusalBurst: 10,
  auditRefusalWindowSeconds: 60,
  /** Audit events are written in batches this often (never on the request path). */
  auditFlushMs: 50,
  /** Agents poll a pending approval no faster than this (RFC 8628 `interval`). */
  approvalIntervalSeconds: 5,
  /** A pending or granted approval lapses after this. */
  approvalTtlSeconds: 600,
  /**
   * Pending approvals one task, and one agent across its tasks, may hold at once; past either,
   * a new request is refused with 429 `temporarily_unavailable` until one is decided or lapses.
   */
  approvalMaxPendingPerTask: 20,
  approvalMaxPendingPerAgent: 100,
  /**
   * The task index (docs/architecture.md, "The task index"): shards per hour of task starts on
   * Redis (each its own hash tag, so a Cluster spreads the writes), and GET /admin/tasks paging.
   */
  taskIndexShards: 8,
  taskPageSize: 50,
  taskPageMax: 500,
  /** GET /admin/tasks reads at most this many index entries per page when filtering. */
  taskScanMax: 2_000,
  /** GET /admin/agents counts live tasks over at most this many open tasks. */
  agentsScanMax: 10_000,
  /** GET /admin/overview counts the last minute's events over at most this many of each stream. */
  overviewScanMax: 10_000,
  /** The admin live stream (SSE) re-reads the audit trail this often while anyone listens. */
  adminStreamPollMs: 1_000,
  /** Console sessions: unused this long, or this long after login, they end. */
  sessionIdleSeconds: 30 * 60,
  sessionAbsoluteSeconds: 12 * 3600,
  /** The login round trip (state, nonce, PKCE verifier) must come back within this. */
  loginFlowSeconds: 300,
  /** The ID token claim an admin's role is read from, unless configured. */
  oidcRoleClaim: 'baton_role',
  /** GET /admin/approvals: page size when `limit` is absent, and the largest page. */
  approvalPageSize: 100,
  approvalPageMax: 1_000,
  /** How often the keys directory is re-read, so a staged key is picked up without restart. */
  keysReloadMs: 10_000,
  /**
   * A rotated key is published this long before it signs, so every instance (re-reading the key
   * directory every keysReloadMs) and every verifier caching /jwks (jwksMaxAgeSeconds) knows it
   * first: 300 s + 10 s. The first key of a deployment signs at once (nobody caches it yet).
   */
  keyPublishLeadSeconds: 310,
  /** Algorithm of a generated signing key (config, `baton keys create`). */
  keyAlg: 'ES256',
  /** Directory of the shared key source. */
  keysDir: 'keys',
  /** `signatures.threadPool`: on the thread pool when the process may use more than one CPU. */
  signatureThreadPool: 'auto',
  /** Modulus of a generated RS256 key. */
  rsaModulusLength: 2048,
  /** Audit events held in memory awaiting a flush; past this, new ones are dropped and counted. */
  auditMaxBuffered: 50_000,
  /** GET /admin/audit: page size when `limit` is absent, and the largest page. */
  auditPageSize: 100,
  auditPageMax: 1_000,
  /** GET /admin/tasks/{txn}/audit reads at most this many events (the per-task cap). */
  auditTaskReadMax: 10_000,
  /** Feed catch-up reads the stream in batches of this many entries. */
  feedCatchUpBatch: 1_000,
  /** SSE comment sent this often so proxies keep an idle feed open. */
  feedHeartbeatMs: 15_000,
  /**
   * Revocation feed followers per instance: in total, and per client. A resource server's
   * replicas all follow with its one client id, so the per-client cap is sized for a large
   * deployment (250 replicas on one instance; more instances carry more). Each follower holds
   * at most `feedFollowerMaxBufferedBytes`, so all of them together hold at most ~128 MiB.
   */
  feedFollowersMax: 1_000,
  feedFollowersPerClient: 250,
  /** A follower whose queue and socket buffer pass this is dropped (about 700 events). */
  feedFollowerMaxBufferedBytes: 128 * 1024,
  /** A follower that keeps Baton waiting for its socket to drain this long is dropped. */
  feedFollowerMaxLagMs: 30_000,
  /** Retry-After of a follower refused for the caps (it backs off from there, with jitter). */
  feedFollowerRetryAfterSeconds: 5,
  /** Above common load balancers' 60 s idle timeout, so they close first (no reset mid-request). */
  keepAliveTimeoutMs: 65_000,
  /** Cache-Control max-age of /.well-known/jwks.json. */
  jwksMaxAgeSeconds: 300,
  /** Upstream JWKS: re-fetch at most this often on an unknown kid, and refresh after this age. */
  upstreamJwksCooldownMs: 30_000,
  upstreamJwksMaxAgeMs: 10 * 60_000,
  /** An upstream JWKS fetch slower than this fails (503 to the caller); jose's own default. */
  upstreamJwksTimeoutMs: 5_000,
  /** While an issuer's JWKS cannot be fetched, at most one warning per issuer this often. */
  upstreamJwksWarnIntervalSeconds: 60,
  /** The approval webhook is abandoned after this (it never blocks an exchange). */
  approvalWebhookTimeoutMs: 2_000,
  /** Lifetime of the signed JWT the webhook posts. */
  approvalWebhookJwtTtlSeconds: 300,
  /** Longest approver reason and task completion summary accepted. */
  approvalReasonMaxLength: 500,
  taskSummaryMaxLength: 2_000,
  /** RFC 9396 authorization_details: the whole parameter, and a tool's arguments unless it says. */
  maxAuthorizationDetailsBytes: 4096,
  toolMaxArgumentsBytes: 2048,
  /** Cedar decisions cached per policy version. */
  cedarDecisionCacheSize: 10_000,
  /** A policy file change is read this long after the last event (editors write in bursts). */
  policyReloadDebounceMs: 100,
  /** Tries to re-watch a policy file replaced by rename, one per debounce. */
  policyRewatchTries: 50,
  /** `baton serve` worker processes (BATON_WORKERS). */
  workers: 1,
  /** The demo IdP: its host, and the lifetime of the access tokens it issues. */
  demoIdpHost: '127.0.0.1',
  demoIdpTokenTtlSeconds: 3600,
  /**
   * Rate limits (src/limits/, docs/configuration.md#rate-limits). Budgets are requests per
   * authenticated client per fixed window, by client kind; sized well above an honest client
   * (an agent calls /token before each tool call, a resource server /introspect per request).
   */
  rateLimitWindowSeconds: 60,
  rateLimitAgentRequests: 6_000,
  rateLimitResourceServerRequests: 60_000,
  /** Feed connection attempts per client per window (a follower reconnects with backoff). */
  rateLimitFeedConnections: 120,
  /** Failed authentications per source address, and per claimed client id, per window. */
  rateLimitAuthFailuresPerAddress: 100,
  rateLimitAuthFailuresPerClient: 1_000,
  /**
   * Points an instance takes from the shared (store) budget at once; it spends them in process,
   * so the store is asked about once per lease, and one point at a time near the limit.
   */
  rateLimitLease: 50,
  /** A shared-budget call slower than this is abandoned: the in-process bucket decides alone. */
  rateLimitStoreTimeoutMs: 100,
  /** After a failed shared-budget call, the in-process bucket decides alone for this long. */
  rateLimitStoreBackoffMs: 1_000,

  // DPoP (RFC 9449; docs/dpop.md).
  /** Proof algorithms accepted (§4.3 rule 5): asymmetric only; ES256 is what agents use. */
  dpopAlgorithms: ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] as readonly string[],
  /**
   * A proof's `iat` may be this far from Baton's clock, either way (§4.3 rule 11, §11.1). Its
   * `jti` is remembered that long (and the skew beyond it), so a replay inside the window fails.
   */
  dpopProofWindowSeconds: 60,
  /** Agents without their own `dpop` setting: `optional` (bind when a proof comes) or `required`. */
  dpopAgents: 'optional' as 'optional' | 'required',
  /** A server nonce (§8) is good for its time bucket and the one before: 2 to 4 minutes here. */
  dpopNonceBucketSeconds: 120,
  /** Imported DPoP public keys (and their thumbprints) held per process: agents reuse one key. */
  dpopKeyCacheSize: 10_000,
  /** A hand-off offer of a bound task token is redeemable once, for this long. */
  handOffOfferTtlSeconds: 60,
} as const;

/** What a store is sized by when nothing is configured (boot passes the configured values). */
export const STORE_LIMITS = {
  feedMaxLength: DEFAULTS.feedMaxLength,
  audit: {
    taskMaxEvents: DEFAULTS.auditTaskMaxEvents,
    globalMaxEvents: DEFAULTS.auditGlobalMaxEvents,
    maxAgeSeconds: DEFAULTS.auditMaxAgeSeconds,
    taskMaxRefusals: DEFAULTS.auditTaskMaxRefusals,
    globalMaxRefusals: DEFAULTS.auditGlobalMaxRefusals,
  },
} as const;

/** The feed's follower limits when nothing is configured (config `feed`). */
export const FEED_FOLLOWER_LIMITS = {
  max: DEFAULTS.feedFollowersMax,
  perClient: DEFAULTS.feedFollowersPerClient,
  maxBufferedBytes: DEFAULTS.feedFollowerMaxBufferedBytes,
  maxLagMs: DEFAULTS.feedFollowerMaxLagMs,
  retryAfterSeconds: DEFAULTS.feedFollowerRetryAfterSeconds,
} as const;

/** A Redis store's options when nothing is configured, but for where the server is. */
export const REDIS_STORE_DEFAULTS = {
  ...STORE_LIMITS,
  prefix: DEFAULTS.redisPrefix,
  commandTimeoutMs: DEFAULTS.storeRequestTimeoutMs,
  pingTimeoutMs: DEFAULTS.storePingTimeoutMs,
  taskIndexShards: DEFAULTS.taskIndexShards,
} as const;
