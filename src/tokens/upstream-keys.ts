/**
 * A trusted issuer's remote JWKS (RFC 7517) that says why it could not be had. When the key
 * set cannot be fetched (connection refused, timeout, an HTTP error, a body that is no JWKS),
 * no token of that issuer can be judged: that is Baton failing, not the token, so the caller
 * gets 503 `temporarily_unavailable` (UpstreamKeysUnavailable). A `kid` that is in no fetched
 * key set is still the token's fault (jose's JWKSNoMatchingKey, an `invalid_request`).
 */
import {
  createRemoteJWKSet,
  customFetch,
  type FetchImplementation,
  errors as joseErrors,
  type JWTVerifyGetKey,
} from 'jose';
import { TemporarilyUnavailable } from '../errors.js';

export interface RemoteKeysOptions {
  /** A fetch that takes longer is abandoned (jose's `timeoutDuration`). */
  timeoutMs: number;
  /** Re-fetch at most this often on an unknown kid. */
  cooldownMs: number;
  /** Refresh a key set older than this. */
  maxAgeMs: number;
}

/** 503: the issuer's key set could not be fetched; `cause` says why (logged, never sent). */
export class UpstreamKeysUnavailable extends TemporarilyUnavailable {
  constructor(
    readonly issuer: string,
    readonly jwksUri: string,
    readonly reason: string,
    cause: unknown,
  ) {
    // The per-request log line is debug: UpstreamVerifier warns once per issuer and interval.
    super(`Baton cannot fetch the signing keys of ${issuer} right now; try again shortly`, {
      cause,
      logged: true,
    });
    this.name = 'UpstreamKeysUnavailable';
  }
}

/** The JWKS endpoint answered, but not 200 (jose's own error would not say the status). */
class JwksHttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

const fetchJwks: FetchImplementation = async (url, options) => {
  const res = await fetch(url, options);
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new JwksHttpError(res.status);
  }
  return res;
};

/** Why the key set could not be had, in words for the log; undefined when it is not that. */
export function keySetFailure(e: unknown, timeoutMs: number): string | undefined {
  if (e instanceof JwksHttpError) return `the JWKS endpoint answered ${e.message}`;
  if (e instanceof joseErrors.JWKSTimeout) return `no answer within ${timeoutMs} ms`;
  if (e instanceof joseErrors.JWKSInvalid) return 'the response is not a JSON Web Key Set';
  // jose throws a plain JOSEError (no subclass) for a body that does not parse as JSON.
  if (e instanceof joseErrors.JOSEError && e.constructor === joseErrors.JOSEError)
    return 'the response is not JSON';
  // fetch() itself: a TypeError whose cause is the socket error (ECONNREFUSED, ENOTFOUND...).
  // By name, not instanceof: fetch's errors may be of another realm (a vm context, as in jest).
  const f = e as {
    name?: unknown;
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  if (typeof e === 'object' && e !== null && f.name === 'TypeError') {
    const code = f.cause?.code;
    if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
    if (typeof code === 'string') return `${String(f.cause?.message ?? code)} (${code})`;
    return String(f.cause?.message ?? f.message);
  }
  return undefined;
}

/** The issuer's remote key set; a failure to fetch it throws UpstreamKeysUnavailable. */
export function remoteKeySet(
  issuer: string,
  jwksUri: string,
  opts: RemoteKeysOptions,
): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: opts.timeoutMs,
    cooldownDuration: opts.cooldownMs,
    cacheMaxAge: opts.maxAgeMs,
    [customFetch]: fetchJwks,
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (e) {
      const reason = keySetFailure(e, opts.timeoutMs);
      if (reason === undefined) throw e;
      throw new UpstreamKeysUnavailable(issuer, jwksUri, reason, e);
    }
  };
}
