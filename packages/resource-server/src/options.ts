import type { JWK, KeyObject, CryptoKey } from 'jose';
import type { DpopPolicy } from './lib/challenge.js';

/** How the verifier authenticates to Baton as the tool's resource server (docs/endpoints.md). */
export type Credentials =
  | {
      clientId: string;
      clientSecret: string;
      /** Default `client_secret_basic`. */
      method?: 'client_secret_basic' | 'client_secret_post';
    }
  | {
      clientId: string;
      /** RFC 7523 `private_key_jwt`: the key whose public part Baton's config holds. */
      privateKey: CryptoKey | KeyObject | JWK | Uint8Array;
      alg?: string;
      kid?: string;
    };

/** A replay cache shared by the tool's instances (RFC 9449 §11.1); in memory by default. */
export interface ReplayCache {
  /** True the first time `key` is seen before `expSeconds`; false for a replay. */
  useOnce(key: string, expSeconds: number): boolean | Promise<boolean>;
}

/** RFC 9449 §8 nonces the tool hands out and checks (`dpopNonces` makes stateless ones). */
export interface NonceSource {
  current(): string;
  verify(nonce: string): boolean;
}

export interface VerifierOptions {
  /** Baton's issuer (the tokens' `iss`). */
  issuer: string;
  /** This tool's resource URI: a token's `aud` must be exactly this. */
  resource: string;
  credentials: Credentials;
  /**
   * `local` (default): signature against Baton's JWKS, then revocation state from the feed.
   * `introspection`: `POST /introspect` per token, with a short positive cache.
   */
  mode?: 'local' | 'introspection';
  /** Where Baton answers, when not at its issuer URL (a private address, a test port). */
  batonUrl?: string;
  /** Follow the revocation feed (always in local mode; in introspection mode, drops the cache). */
  feed?: boolean;
  /** Bearer, both, or DPoP only (default `allowed`: both, a bound token only with its proof). */
  dpop?: DpopPolicy;
  /** Algorithms accepted for DPoP proofs (default ES256, ES384, EdDSA, Ed25519, PS256, RS256). */
  dpopAlgorithms?: readonly string[];
  /** |now - iat| allowed for a proof (default 60 s; RFC 9449 §11.1). */
  dpopWindowSeconds?: number;
  /** Proof `jti`s remembered at most (default 100,000); when full, new proofs are refused. */
  replayCacheSize?: number;
  replayCache?: ReplayCache;
  dpopNonces?: NonceSource;
  /** Leeway for `exp`, `nbf` and `iat` (default 5 s). */
  clockToleranceSeconds?: number;
  /**
   * Revocation latency bound of local mode (default 45 s): a feed silent this long (Baton sends
   * a ping every 15 s) is stale, and every check goes to /introspect until it is live again.
   */
  staleAfterMs?: number;
  /** Introspection mode's positive cache (default 5 s, at most 60). 0 turns it off. */
  introspectionCacheSeconds?: number;
  /** Verified tokens kept (default 10,000), each until its `exp`. */
  cacheSize?: number;
  /** jose's remote JWKS: wait at least this long between refetches on an unknown `kid` (30 s). */
  jwksCooldownSeconds?: number;
  /** Reconnect backoff of the feed follower: first wait and cap (250 ms, 30 s; full jitter). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Baton calls time out after this long (default 5 s). */
  requestTimeoutMs?: number;
  /** Default: `<origin>/.well-known/oauth-protected-resource<path>` of `resource` (RFC 9728 §3.1). */
  resourceMetadataUrl?: string;
  /** Scopes this resource serves, listed in its RFC 9728 metadata. */
  scopesSupported?: readonly string[];
  /** Every call must come with a `tool_call`-bound token (assertToolCall refuses unbound ones). */
  requireBoundCalls?: boolean;
  fetch?: typeof fetch;
  /** Called with what happens to the feed (connected, reset, gap, stale); never with a token. */
  onEvent?: (e: { type: string; detail?: string }) => void;
}

/** Every default in one place (docs/protect-an-api.md, "Options"). */
export const VERIFIER_DEFAULTS = {
  mode: 'local',
  dpop: 'allowed',
  dpopAlgorithms: ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'],
  dpopWindowSeconds: 60,
  replayCacheSize: 100_000,
  clockToleranceSeconds: 5,
  staleAfterMs: 45_000,
  introspectionCacheSeconds: 5,
  introspectionCacheMaxSeconds: 60,
  cacheSize: 10_000,
  jwksCooldownSeconds: 30,
  reconnectMinMs: 250,
  reconnectMaxMs: 30_000,
  requestTimeoutMs: 5_000,
  /**
   * Revocation entries and marks are kept this long: a Baton token lives at most its task's
   * `taskMaxSeconds` (24 h by default), and Baton forgets its marks after the same bound.
   */
  revocationRetentionSeconds: 24 * 3600,
  /** Access-token algorithms accepted (asymmetric only: RFC 8725 §2.1). */
  tokenAlgorithms: ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'RS256'],
} as const;
