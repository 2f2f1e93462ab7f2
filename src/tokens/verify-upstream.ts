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

/**
 * The claims Baton reads as text must be text: a `sub` of `{}` is no user, and coercing it with
 * `String()` would make every such token the user "[object Object]". A claim of the wrong type
 * is the token's fault, `invalid_request` (RFC 8693 §2.2.2), never a guess. (`iss` is compared
 * with the configured issuer and `exp` checked as a number by jose.)
 */
function stringClaim(payload: Record<string, unknown>, name: string, what: string): string {
  const v = payload[name];
  if (typeof v !== 'string' || v === '')
    throw new InvalidRequest(`${what}'s ${name} claim must be a non-empty string`);
  return v;
}

/** RFC 8693 §4.2 `scope` (a string), else the `scp` array some IdPs send; neither is no scope. */
function scopeOf(payload: Record<string, unknown>, what: string): string {
  if (payload.scope !== undefined) {
    if (typeof payload.scope !== 'string')
      throw new InvalidRequest(`${what}'s scope claim must be a string`);
    return payload.scope;
  }
  if (payload.scp !== undefined) {
    if (!Array.isArray(payload.scp) || !payload.scp.every((x) => typeof x === 'string'))
      throw new InvalidRequest(`${what}'s scp claim must be an array of strings`);
    return payload.scp.join(' ');
  }
  return '';
}

/**
 * RFC 8693 §4.4 `may_act` restricts who may act: one that cannot be read must refuse the token,
 * not drop the restriction (fail closed).
 */
function mayActOf(
  payload: Record<string, unknown>,
  what: string,
): Pick<UpstreamIdentity, 'mayAct'> {
  const m = payload.may_act;
  if (m === undefined) return {};
  const bad = () => new InvalidRequest(`${what}'s may_act claim must be {"sub": "<string>", ...}`);
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad();
  const { sub, iss } = m as { sub?: unknown; iss?: unknown };
  if (typeof sub !== 'string' || (iss !== undefined && typeof iss !== 'string')) throw bad();
  return { mayAct: { sub, ...(iss !== undefined ? { iss } : {}) } };
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
    const id: UpstreamIdentity = {
      iss: trusted.cfg.issuer,
      sub: trusted.cfg.subjectPrefix + stringClaim(payload, 'sub', what),
      scope: splitScope(scopeOf(payload, what)),
      exp: payload.exp as number,
      claims: payload,
      ...mayActOf(payload, what),
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
