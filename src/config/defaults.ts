/** Every configuration default in one documented place (docs/configuration.md mirrors this). */
export const DEFAULTS = {
  port: 8080,
  host: '0.0.0.0',
  logLevel: 'info',
  /** Task lifetime: a task token never outlives this, nor the user token it came from. */
  taskTtlSeconds: 15 * 60,
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
  /** Redis key prefix; lets several deployments share a server. */
  redisPrefix: 'baton:',
  /** Cross-task revocation marks held in process fail closed when not refreshed for this long. */
  marksMaxStalenessMs: 5_000,
  /** How often each instance re-reads the marks, besides the pub/sub feed. */
  marksRefreshMs: 1_000,
  /** Feed entries kept for catch-up after a reconnect. */
  feedMaxLength: 100_000,
  /** Audit events kept per task, in the global stream, and for how long after a task's deadline. */
  auditTaskMaxEvents: 10_000,
  auditGlobalMaxEvents: 200_000,
  auditMaxAgeSeconds: 7 * 24 * 3600,
  /** Audit events are written in batches this often (never on the request path). */
  auditFlushMs: 50,
  /** Agents poll a pending approval no faster than this (RFC 8628 `interval`). */
  approvalIntervalSeconds: 5,
  /** A pending or granted approval lapses after this. */
  approvalTtlSeconds: 600,
  /** How often the keys directory is re-read, so a staged key is picked up without restart. */
  keysReloadMs: 10_000,
  /** A new key is published this long before it signs, so every instance and cache knows it first. */
  keyPublishLeadSeconds: 60,
} as const;
