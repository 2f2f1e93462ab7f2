import { DEFAULTS } from '../config/defaults.js';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
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
import { epochSeconds } from '../clock.js';

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

interface Trusted {
  cfg: TrustedIssuerConfig;
  jwks: JWTVerifyGetKey;
}

/** Verifies tokens of the configured trusted issuers against their JWKS, iss, aud, exp, nbf and algs. */
export class UpstreamVerifier {
  private readonly byIssuer = new Map<string, Trusted>();
  private readonly cache: VerifiedTokenCache<UpstreamIdentity>;

  constructor(
    issuers: TrustedIssuerConfig[],
    private readonly clockToleranceSeconds: number,
    cacheSize: number,
  ) {
    for (const cfg of issuers) {
      const jwks = cfg.jwksUri
        ? createRemoteJWKSet(new URL(cfg.jwksUri), {
            cooldownDuration: DEFAULTS.upstreamJwksCooldownMs,
            cacheMaxAge: DEFAULTS.upstreamJwksMaxAgeMs,
          })
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
}
