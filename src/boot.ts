import { dpopNonces } from './auth/dpop-nonce.js';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULTS } from './config/defaults.js';
import type { Config } from './config/schema.js';
import { ClientRegistry, ToolIndex } from './auth/clients.js';
import type { BatonContext } from './context.js';
import { createBatonServer } from './http/server.js';
import { Metrics } from './http/metrics.js';
import { generateKeyFile, KeySet, readKeyFiles } from './keys/keyset.js';
import { setSignatureThreadPool } from './keys/offload.js';
import { BudgetLimiter } from './limits/budget-limiter.js';
import { RequestLimits } from './limits/request-limits.js';
import { createLogger, type Logger } from './log.js';
import { MarkCache } from './revocation/marks.js';
import { markRetentionSeconds } from './config/task-lifetime.js';
import { FeedHub } from './revocation/feed-hub.js';
import { announcePolicy, markDisabledAgents, policyVersion } from './revocation/policy-events.js';
import { AuditLog } from './audit/log.js';
import { MemoryStore } from './store/memory/memory-store.js';
import type { RedisConnection } from './store/redis/connect.js';
import type { StoreLimits, TokenStore } from './store/store.js';
import type { BatonClaims } from './tokens/claims.js';
import { VerifiedTokenCache } from './tokens/verified-cache.js';
import { UpstreamVerifier } from './tokens/verify-upstream.js';

export interface BatonInstance {
  ctx: BatonContext;
  server: Server;
  log: Logger;
  /** SIGHUP: re-read the key source and the policy file (an invalid policy keeps the old one). */
  reload(): Promise<void>;
  /** Listens on config host/port (or the given port); resolves to the bound URL. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export interface BootOptions {
  /** A store built by the caller (tests share one between instances); else from config. */
  store?: TokenStore;
  /** Keys given in-process (tests); else read from config.keys.dir. */
  keys?: KeySet;
  log?: Logger;
}

/** Where the configured Redis is: Cluster nodes, else Sentinels, else one URL. */
export function redisConnection(store: Config['store']): RedisConnection {
  if (store.cluster) return { cluster: store.cluster };
  if (store.sentinel) return { sentinel: store.sentinel };
  return { url: store.url ?? DEFAULTS.redisUrl };
}

async function openStore(config: Config): Promise<TokenStore> {
  const limits: StoreLimits = { feedMaxLength: DEFAULTS.feedMaxLength, audit: config.audit };
  if (config.store.kind === 'memory') return new MemoryStore(limits);
  // Only the Redis store imports ioredis; load it only when asked for.
  const { RedisStore } = await import('./store/redis/redis-store.js');
  return RedisStore.connect({
    ...redisConnection(config.store),
    ...limits,
    prefix: config.store.prefix,
    // Work off the request path (audit batches, marks refresh) gets the same bound per command.
    commandTimeoutMs: config.store.requestTimeoutMs,
    pingTimeoutMs: config.store.pingTimeoutMs,
    taskIndexShards: config.store.taskIndexShards,
  });
}

async function openKeys(config: Config): Promise<KeySet> {
  const maxLifetime = config.defaults.taskTtlSeconds;
  if (config.keys.generateIfMissing && readKeyFiles(config.keys.dir).length === 0)
    await generateKeyFile(config.keys.dir, config.keys.alg);
  return KeySet.fromDir(config.keys.dir, maxLifetime);
}

/** The Cedar policy set of `policy.cedarFile`; a file that cannot be read is named by its field. */
async function openPolicy(config: Config, log: Logger) {
  const file = config.policy.cedarFile;
  if (!file) return undefined;
  const { PolicyHolder } = await import('./policy/cedar/holder.js');
  try {
    return PolicyHolder.fromFile(file, log);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new Error(
        `policy.cedarFile: no file at ${file} ` +
          "(a relative path is read from the config file's folder)",
      );
    if (code) throw new Error(`policy.cedarFile: cannot read ${file} (${code})`);
    throw e;
  }
}

/** Wires config -> keys, store, verifiers, marks -> domain context -> HTTP server. */
export async function bootBaton(config: Config, opts: BootOptions = {}): Promise<BatonInstance> {
  const log = opts.log ?? createLogger(config.logLevel);
  setSignatureThreadPool(config.signatures.threadPool);
  const keys = opts.keys ?? (await openKeys(config));
  const store = opts.store ?? (await openStore(config));
  const feed = new FeedHub(store, {
    max: config.feed.followersMax,
    perClient: config.feed.followersPerClient,
    maxBufferedBytes: config.feed.followerMaxBufferedBytes,
    maxLagMs: config.feed.followerMaxLagMs,
    retryAfterSeconds: config.feed.followerRetryAfterSeconds,
  });
  await feed.start();
  const marks = new MarkCache(store, feed, {
    maxStalenessMs: DEFAULTS.marksMaxStalenessMs,
    refreshMs: DEFAULTS.marksRefreshMs,
    maxAgeSeconds: markRetentionSeconds(config),
    readChunk: DEFAULTS.marksReadChunk,
  });
  await marks.start();
  const audit = new AuditLog(store, log, {
    flushMs: DEFAULTS.auditFlushMs,
    maxBuffered: DEFAULTS.auditMaxBuffered,
    refusalBurst: config.audit.refusalBurst,
    refusalWindowMs: config.audit.refusalWindowSeconds * 1000,
  });
  audit.start();
  // A policy file that does not validate stops the start: nothing runs half-configured.
  // cedar-wasm is loaded only when a policy set is configured (it costs ~17 MB of RSS).
  const policy = await openPolicy(config, log);
  if (policy && config.policy.watch) policy.watch();
  // What ends a token's standing besides revocations goes on the feed too, so local checks at
  // resource servers agree with /introspect (src/revocation/policy-events.ts). A store that does
  // not answer now does not stop the start: introspection still decides by config.
  const publishPolicy = () =>
    announcePolicy(store, policyVersion(config, policy?.version)).catch((e) =>
      log.warn({ err: (e as Error).message }, 'policy version not published on the feed'),
    );
  await markDisabledAgents({ store, marks, audit }, config).catch((e) =>
    log.warn({ err: (e as Error).message }, 'disabled agents not marked on the feed'),
  );
  await publishPolicy();
  if (policy) policy.onChange = () => void publishPolicy();
  const clients = new ClientRegistry(config);
  const limits = new RequestLimits(
    config.rateLimits,
    clients,
    new BudgetLimiter({
      shared: store,
      lease: config.rateLimits.lease,
      storeTimeoutMs: config.rateLimits.storeTimeoutMs,
      storeBackoffMs: DEFAULTS.rateLimitStoreBackoffMs,
      onStoreError: (e) =>
        log.warn(
          { err: (e as Error).message },
          'rate limits: shared budget unreachable; in-process limits only for now',
        ),
    }),
  );
  const ctx: BatonContext = {
    config,
    clients,
    tools: new ToolIndex(config.tools),
    keys,
    own: {
      issuer: config.issuer,
      keys,
      cache: new VerifiedTokenCache<BatonClaims>(DEFAULTS.verifiedTokenCacheSize),
      clockToleranceSeconds: DEFAULTS.clockToleranceSeconds,
    },
    upstream: new UpstreamVerifier(
      config.trustedIssuers,
      DEFAULTS.clockToleranceSeconds,
      DEFAULTS.verifiedTokenCacheSize,
      {
        timeoutMs: config.upstreamJwks.timeoutMs,
        cooldownMs: config.upstreamJwks.cooldownMs,
        maxAgeMs: config.upstreamJwks.maxAgeMs,
        warnIntervalMs: config.upstreamJwks.warnIntervalSeconds * 1000,
        warn: (fields, message) => log.warn(fields, message),
      },
    ),
    store,
    marks,
    feed,
    audit,
    limits,
    log,
    ...(policy ? { policy } : {}),
    dpop: {
      algorithms: config.dpop.algorithms,
      windowSeconds: config.dpop.proofWindowSeconds,
      useOnce: (ns, id, exp) => store.useOnce(ns, id, exp),
      ...(config.dpop.nonce
        ? { nonces: dpopNonces(config.dpop.nonce.secret, config.dpop.nonce.bucketSeconds) }
        : {}),
    },
    newId: () => randomUUID(),
  };
  const metrics = new Metrics(ctx);
  limits.onLimited = (l) => metrics.rateLimited.inc({ ...l });
  const server = createBatonServer({ ctx, log, metrics });
  const keyTimer = opts.keys
    ? undefined
    : setInterval(
        () =>
          void keys
            .reload()
            .catch((e) => log.error({ err: (e as Error).message }, 'key reload failed')),
        DEFAULTS.keysReloadMs,
      );
  keyTimer?.unref();
  return {
    ctx,
    server,
    log,
    reload: async () => {
      await keys.reload();
      policy?.reload();
    },
    listen: (port = config.port, host = config.host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo;
          resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
        });
      }),
    close: async () => {
      if (keyTimer) clearInterval(keyTimer);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      policy?.close();
      await marks.stop();
      await feed.stop();
      await audit.stop();
      if (!opts.store) await store.close();
    },
  };
}
