import { DEFAULTS } from '../config/defaults.js';
import {
  createLocalJWKSet,
  decodeJwt,
  jwtVerify,
  type JWTVerifyGetKey,
  type JSONWebKeySet,
} from 'jose';
import { InvalidRequest } from '../errors.js';
import type { TrustedIssuerConfig } from '../config/schema.js';
import { splitScope } from './claims.js';
import { joseReason } from './verify-own.js';
import { VerifiedTokenCache } from './verified-cache.js';
import { epochMillis, epochSeconds } from '../clock.js';
import { type RemoteKeysOptions, remoteKeySet, UpstreamKeysUnavailable } from './upstream-keys.js';

/** A verified token from a trusted upstream issuer (a user token, or an actor token). */
export interface UpstreamIdentity {
  iss: string;
  /** `sub` with the issuer's subject prefix, so users of two issuers cannot collide. */
  sub: string;
  scope: string[];
  exp: number;
  claims: Record<string, unknown>;
  mayAct?: { sub: string; iss?: string };
}

/** How upstream key sets are fetched, and where a failure to fetch one is told. */
export interface UpstreamKeysConfig extends RemoteKeysOptions {
  /** At most one warning per issuer in this many milliseconds while its key set is unreachable. */
  warnIntervalMs: number;
  /** The warning (boot passes the log's `warn`); never given a token. */
  warn(fields: Record<string, unknown>, message: string): void;
}

const DEFAULT_KEYS_CONFIG: UpstreamKeysConfig = {
  timeoutMs: DEFAULTS.upstreamJwksTimeoutMs,
  cooldownMs: DEFAULTS.upstreamJwksCooldownMs,
  maxAgeMs: DEFAULTS.upstreamJwksMaxAgeMs,
  warnIntervalMs: DEFAULTS.upstreamJwksWarnIntervalSeconds * 1000,
  warn: () => {},
};

interface Trusted {
  cfg: TrustedIssuerConfig;
  jwks: JWTVerifyGetKey;
}

/** Verifies tokens of the configured trusted issuers against their JWKS, iss, aud, exp, nbf and algs. */
export class UpstreamVerifier {
  private readonly byIssuer = new Map<string, Trusted>();
  private readonly cache: VerifiedTokenCache<UpstreamIdentity>;
  /** When each issuer's unreachable key set was last warned about (epoch ms). */
  private readonly warnedAt = new Map<string, number>();

  constructor(
    issuers: TrustedIssuerConfig[],
    private readonly clockToleranceSeconds: number,
    cacheSize: number,
    private readonly keysConfig: UpstreamKeysConfig = DEFAULT_KEYS_CONFIG,
  ) {
    for (const cfg of issuers) {
      const jwks = cfg.jwksUri
        ? remoteKeySet(cfg.issuer, cfg.jwksUri, keysConfig)
        : createLocalJWKSet(cfg.jwks as JSONWebKeySet);
      this.byIssuer.set(cfg.issuer, { cfg, jwks });
    }
    this.cache = new VerifiedTokenCache(cacheSize);
  }

  isTrusted(iss: string): boolean {
    return this.byIssuer.has(iss);
  }

  /** The issuer is configured to vouch for agents (`actorTokens: true`). */
  vouchesForAgents(iss: string): boolean {
    return this.byIssuer.get(iss)?.cfg.actorTokens === true;
  }

  async verify(token: string, what: string): Promise<UpstreamIdentity> {
    const now = epochSeconds();
    const key = VerifiedTokenCache.keyOf(token);
    const hit = this.cache.get(key, now, () => true);
    if (hit) return hit;
    let iss: unknown;
    try {
      // Unverified read only to choose which issuer's keys to verify with.
      iss = decodeJwt(token).iss;
    } catch {
      throw new InvalidRequest(`${what} is not a well-formed JWT`);
    }
    const trusted = typeof iss === 'string' ? this.byIssuer.get(iss) : undefined;
    if (!trusted) throw new InvalidRequest(`${what} is not from a trusted issuer`);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, trusted.jwks, {
        issuer: trusted.cfg.issuer,
        audience: trusted.cfg.audience,
        algorithms: trusted.cfg.algorithms,
        clockTolerance: this.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (e) {
      if (e instanceof UpstreamKeysUnavailable) {
        this.warnUnreachable(e);
        throw e;
      }
      throw new InvalidRequest(`${what} is not acceptable: ${joseReason(e)}`, { cause: e });
    }
    const rawScope =
      typeof payload.scope === 'string'
        ? payload.scope
        : Array.isArray(payload.scp)
          ? payload.scp.join(' ')
          : '';
    const mayAct = payload.may_act as { sub?: unknown; iss?: unknown } | undefined;
    const id: UpstreamIdentity = {
      iss: trusted.cfg.issuer,
      sub: trusted.cfg.subjectPrefix + String(payload.sub),
      scope: splitScope(rawScope),
      exp: payload.exp as number,
      claims: payload,
      ...(mayAct && typeof mayAct.sub === 'string'
        ? {
            mayAct: {
              sub: mayAct.sub,
              ...(typeof mayAct.iss === 'string' ? { iss: mayAct.iss } : {}),
            },
          }
        : {}),
    };
    this.cache.set(key, id, id.exp, '');
    return id;
  }

  /** One warning per issuer and interval: a down IdP must be seen at info level, not flood it. */
  private warnUnreachable(e: UpstreamKeysUnavailable): void {
    const now = epochMillis();
    const last = this.warnedAt.get(e.issuer);
    if (last !== undefined && now - last < this.keysConfig.warnIntervalMs) return;
    this.warnedAt.set(e.issuer, now);
    this.keysConfig.warn(
      { issuer: e.issuer, jwksUri: e.jwksUri, cause: e.reason },
      `cannot fetch the signing keys of trusted issuer ${e.issuer} (${e.reason}); ` +
        'its tokens are answered 503 until it answers',
    );
  }
}
