import { verifyDpopProof } from './dpop.js';
import {
  BatonAuthError,
  InsufficientScopeError,
  InvalidTokenError,
  UnavailableError,
} from './errors.js';
import { headerValues, readAuthorization } from './lib/authorization.js';
import { type ChallengeContext, challengeFor } from './lib/challenge.js';
import { clientAuthenticator } from './lib/client-auth.js';
import { FeedFollower } from './lib/feed-follower.js';
import { introspectionClient } from './lib/introspection.js';
import { MemoryReplayCache } from './lib/replay-cache.js';
import { RevocationState } from './lib/revocation-state.js';
import { claimsOfIntrospection, principalOf } from './lib/principal-of.js';
import { type CheckedClaims, tokenChecker } from './lib/token-check.js';
import { resourceMetadataUrl } from './metadata.js';
import { VERIFIER_DEFAULTS as D, type VerifierOptions } from './options.js';
import type { BatonPrincipal, VerifyInput } from './principal.js';

/** What one check asks beyond a valid token: the scopes the operation needs (all of them). */
export interface VerifyRequirements {
  scope?: string | readonly string[];
}

export interface BatonVerifier {
  /** Resolves to the principal, or rejects with a BatonAuthError carrying the exact challenge. */
  verify(req: VerifyInput, need?: VerifyRequirements): Promise<BatonPrincipal>;
  /** Resolves once the feed is caught up (local mode), so the first checks need no fallback. */
  ready(): Promise<void>;
  /** The options in force, defaults applied (the metadata and the adapters read them). */
  readonly options: Required<Pick<VerifierOptions, 'issuer' | 'resource' | 'dpop'>> &
    VerifierOptions & { dpopAlgorithms: readonly string[]; resourceMetadataUrl: string };
  /** The HTTP answer for any error thrown by `verify` or `assertToolCall` (challenge included). */
  refusal(e: unknown): Refusal;
  /** Local mode: trusts its feed now (connected, caught up, heard from within the bound). */
  feedIsFresh(): boolean;
  /**
   * Whether a token checked earlier is still good: revocation and expiry only (no proof, no
   * scope), for what outlives one request, such as an MCP session. Rejects when unsure.
   */
  isActive(token: string): Promise<boolean>;
  /** Called after each revocation the feed brings (and after a reset or gap); returns an unsubscribe. */
  onRevocation(listener: () => void): () => void;
  close(): Promise<void>;
}

export interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

interface Held {
  claims: CheckedClaims;
  /** The re-check cut this token last passed (RevocationState.recheck.epoch). */
  checkedEpoch: number;
  /** What Baton said at that re-check: a policy may allow the token again at the next cut. */
  allowed: boolean;
  /** Revoked (a feed event, or Baton said inactive outside a policy re-check): for good. */
  dead: boolean;
  recheck?: Promise<void>;
}

const scopesOf = (s: string | readonly string[] | undefined) =>
  s === undefined ? [] : typeof s === 'string' ? s.split(' ').filter(Boolean) : [...s];

/**
 * The resource server's check of Baton tokens, framework-neutral: method, URL and headers in,
 * a typed principal out (docs/protect-an-api.md). Local mode checks the JWT against Baton's
 * JWKS and the revocation state from the feed; introspection mode asks `/introspect`. Both
 * check DPoP proofs of bound tokens here, and both fail closed.
 */
export function createVerifier(opts: VerifierOptions): BatonVerifier {
  const mode = opts.mode ?? D.mode;
  const base = (opts.batonUrl ?? opts.issuer).replace(/\/+$/, '');
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.requestTimeoutMs ?? D.requestTimeoutMs;
  const tolerance = opts.clockToleranceSeconds ?? D.clockToleranceSeconds;
  const staleAfterMs = opts.staleAfterMs ?? D.staleAfterMs;
  const cacheSize = opts.cacheSize ?? D.cacheSize;
  const introCacheMs =
    Math.min(
      opts.introspectionCacheSeconds ?? D.introspectionCacheSeconds,
      D.introspectionCacheMaxSeconds,
    ) * 1000;
  const options = {
    ...opts,
    dpop: opts.dpop ?? D.dpop,
    dpopAlgorithms: opts.dpopAlgorithms ?? D.dpopAlgorithms,
    resourceMetadataUrl: opts.resourceMetadataUrl ?? resourceMetadataUrl(opts.resource),
  };
  const auth = clientAuthenticator(opts.credentials, opts.issuer);
  const intro = introspectionClient({
    endpoint: `${base}/introspect`,
    auth,
    fetch: fetchFn,
    timeoutMs,
  });
  const checkToken = tokenChecker({
    issuer: opts.issuer,
    resource: opts.resource,
    jwksUri: `${base}/jwks`,
    algorithms: D.tokenAlgorithms,
    clockToleranceSeconds: tolerance,
    cooldownSeconds: opts.jwksCooldownSeconds ?? D.jwksCooldownSeconds,
    timeoutMs,
  });
  const dpopCheck = {
    algorithms: options.dpopAlgorithms,
    windowSeconds: opts.dpopWindowSeconds ?? D.dpopWindowSeconds,
    clockToleranceSeconds: tolerance,
    replay: opts.replayCache ?? new MemoryReplayCache(opts.replayCacheSize ?? D.replayCacheSize),
    ...(opts.dpopNonces ? { nonces: opts.dpopNonces } : {}),
  };
  const state = new RevocationState(D.revocationRetentionSeconds * 1000);
  const listeners = new Set<() => void>();
  const revoked = () => {
    for (const l of listeners) l();
  };
  /**
   * "Every token issued until now", in Baton's clock: a token's `iat` may lie up to the tolerance
   * past ours (we accept it so), and one issued before a reset or gap must still be re-checked.
   */
  const issuedUntilNow = () => (Date.now() + tolerance * 1000) * 1000;
  /** Verified tokens (local) by their exact string, each until its exp; FIFO-bounded. */
  const held = new Map<string, Held>();
  /** Introspection mode's positive answers, until `until` (ms). */
  const answers = new Map<string, { claims: CheckedClaims; until: number }>();
  let caughtUp: () => void = () => {};
  const readyP = new Promise<void>((r) => {
    caughtUp = r;
  });
  const follower =
    mode === 'local' || opts.feed
      ? new FeedFollower(
          {
            endpoint: `${base}/revocations`,
            auth,
            fetch: fetchFn,
            minBackoffMs: opts.reconnectMinMs ?? D.reconnectMinMs,
            maxBackoffMs: opts.reconnectMaxMs ?? D.reconnectMaxMs,
            timeoutMs,
          },
          {
            onEvent: (e) => {
              state.apply(e);
              // Introspection mode: any revocation may concern a cached answer; drop them all.
              answers.clear();
              revoked();
            },
            // Nothing cached is trusted: the state is re-learned from the start, and every token
            // issued until now is re-checked once (a restarted Baton may not know it).
            onReset: () => {
              state.clear();
              state.recheckBefore(issuedUntilNow());
              answers.clear();
              revoked();
            },
            // Events were lost: every token issued until now is re-checked once.
            onGap: () => {
              state.recheckBefore(issuedUntilNow());
              answers.clear();
              revoked();
            },
            onNotice: (n) => {
              if (n.type === 'live') caughtUp();
              opts.onEvent?.(n);
            },
          },
        )
      : undefined;
  follower?.start();
  const pruner = setInterval(() => {
    state.prune();
    const now = Date.now() / 1000;
    for (const [t, h] of held) if (h.claims.exp + tolerance < now) held.delete(t);
  }, 60_000);
  pruner.unref?.();

  const feedIsFresh = () =>
    follower?.live === true && Date.now() - follower.lastHeard <= staleAfterMs;

  const challenge = (scopes: string[]): ChallengeContext => ({
    dpop: options.dpop,
    algorithms: options.dpopAlgorithms,
    resourceMetadata: options.resourceMetadataUrl,
    scopes,
  });

  /** Local mode: the JWT check, once per token string while it is held. */
  async function localClaims(token: string): Promise<Held> {
    const hit = held.get(token);
    if (hit) {
      const now = Date.now() / 1000;
      if (hit.claims.exp + tolerance <= now) {
        held.delete(token);
        throw new InvalidTokenError('the token has expired');
      }
      return hit;
    }
    const claims = await checkToken(token);
    const entry: Held = { claims, checkedEpoch: -1, allowed: true, dead: false };
    if (held.size >= cacheSize) held.delete(held.keys().next().value as string);
    held.set(token, entry);
    return entry;
  }

  /** Asks Baton; active answers say nothing new about the claims we verified ourselves. */
  async function stillActive(token: string): Promise<boolean> {
    return (await intro.introspect(token)).active;
  }

  /** Local mode: is this verified token still good? From the feed, or from Baton when unsure. */
  async function localStanding(token: string, h: Held): Promise<void> {
    if (h.dead) throw new InvalidTokenError('the token has been revoked');
    const c = h.claims;
    if (!feedIsFresh()) {
      // Fail closed: a feed not live (starting, reset, cut, silent) is not trusted; ask Baton.
      if (!(await stillActive(token).catch(() => Promise.reject(unsure()))))
        throw new InvalidTokenError('the token is no longer active');
      return;
    }
    const subject = {
      txn: c.txn,
      jti: c.jti,
      sub: c.sub,
      client_id: c.client_id,
      iat: c.iat,
      actors: c.actors,
      anc: c.lineage.anc,
      st: c.lineage.st,
    };
    if (state.verdict(subject) === 'revoked') {
      h.dead = true;
      throw new InvalidTokenError('the token has been revoked');
    }
    if (state.needsRecheck(c.iat, h.checkedEpoch)) {
      // A policy change (or lost events): this token's standing is asked once per cut.
      const epoch = state.recheck.epoch;
      h.recheck ??= stillActive(token)
        .then((active) => {
          h.allowed = active;
          h.checkedEpoch = Math.max(h.checkedEpoch, epoch);
        })
        .finally(() => {
          h.recheck = undefined;
        });
      await h.recheck.catch(() => Promise.reject(unsure()));
    }
    if (!h.allowed) throw new InvalidTokenError('the token is no longer active');
  }

  const unsure = () =>
    new UnavailableError('the token cannot be checked now (revocation state unknown)', 5);

  async function introspected(token: string): Promise<CheckedClaims> {
    const now = Date.now();
    const hit = answers.get(token);
    if (hit && hit.until > now && hit.claims.exp + tolerance > now / 1000) return hit.claims;
    const r = await intro.introspect(token);
    if (!r.active) throw new InvalidTokenError('the token is not active');
    // Baton answers active only for this resource's tokens; checked again all the same.
    if (r.aud !== opts.resource || r.iss !== opts.issuer)
      throw new InvalidTokenError('the token is for another audience');
    const claims = claimsOfIntrospection(r);
    if (introCacheMs > 0) {
      if (answers.size >= cacheSize) answers.delete(answers.keys().next().value as string);
      answers.set(token, { claims, until: now + introCacheMs });
    }
    return claims;
  }

  async function check(
    req: VerifyInput,
    need: string[],
    seen: { scheme?: 'Bearer' | 'DPoP' },
  ): Promise<BatonPrincipal> {
    const { scheme, token } = readAuthorization(req.headers);
    // Kept for the challenge: a refusal names its error on the scheme the token came with.
    seen.scheme = scheme;
    let claims: CheckedClaims;
    let h: Held | undefined;
    if (mode === 'local') {
      h = await localClaims(token);
      claims = h.claims;
      if (claims.nbf !== undefined && claims.nbf - tolerance > Date.now() / 1000)
        throw new InvalidTokenError('the token is not valid yet');
    } else claims = await introspected(token);
    if (claims.cnf) {
      // RFC 9449 §7.2: a bound token is never accepted as a bearer token.
      if (scheme !== 'DPoP')
        throw new InvalidTokenError('the token is DPoP-bound: send it as "DPoP" with a proof');
      if (options.dpop === 'off')
        throw new InvalidTokenError('this resource takes bearer tokens only');
      await verifyDpopProof(dpopCheck, {
        proofs: headerValues(req.headers, 'dpop'),
        method: req.method.toUpperCase(),
        url: req.url,
        accessToken: token,
        jkt: claims.cnf.jkt,
      });
    } else if (scheme === 'DPoP') {
      throw new InvalidTokenError('the token is not DPoP-bound: send it as "Bearer"');
    } else if (options.dpop === 'required') {
      throw new InvalidTokenError('this resource takes DPoP-bound tokens only');
    }
    if (h) await localStanding(token, h);
    const granted = new Set(claims.scope.split(' '));
    const missing = need.filter((s) => !granted.has(s));
    if (missing.length > 0)
      throw new InsufficientScopeError(`the token lacks scope ${missing.join(' ')}`, need);
    return principalOf(claims, token);
  }

  return {
    options,
    feedIsFresh,
    ready: () => (follower ? readyP : Promise.resolve()),
    async verify(req, need = {}) {
      const scopes = scopesOf(need.scope);
      const seen: { scheme?: 'Bearer' | 'DPoP' } = {};
      try {
        return await check(req, scopes, seen);
      } catch (e) {
        const err =
          e instanceof BatonAuthError ? e : new InvalidTokenError('the token cannot be checked');
        if (err.code !== 'temporarily_unavailable')
          err.headers['WWW-Authenticate'] = challengeFor(err, challenge(scopes), seen.scheme);
        if (err.code === 'use_dpop_nonce' && 'nonce' in err)
          err.headers['DPoP-Nonce'] = String((err as { nonce: string }).nonce);
        throw err;
      }
    },
    refusal(e) {
      const err =
        e instanceof BatonAuthError ? e : new InvalidTokenError('the token cannot be checked');
      if (err.code !== 'temporarily_unavailable' && !err.headers['WWW-Authenticate'])
        err.headers['WWW-Authenticate'] = challengeFor(err, challenge([]), undefined);
      return {
        status: err.status,
        headers: { ...err.headers, 'Cache-Control': 'no-store' },
        body: err.body(),
      };
    },
    async isActive(token) {
      try {
        const h = mode === 'local' ? held.get(token) : undefined;
        if (h) {
          if (h.claims.exp + tolerance <= Date.now() / 1000) return false;
          await localStanding(token, h);
        } else {
          answers.delete(token);
          await introspected(token);
        }
        return true;
      } catch (e) {
        if (e instanceof InvalidTokenError) return false;
        throw e;
      }
    },
    onRevocation(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      clearInterval(pruner);
      await follower?.stop();
    },
  };
}
