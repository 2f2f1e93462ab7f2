import type { BatonAuthError } from '../errors.js';
import { InsufficientScopeError, InvalidTokenError } from '../errors.js';

/** How a resource accepts tokens: bearer only, both, or DPoP-bound only (RFC 9449 §7). */
export type DpopPolicy = 'off' | 'allowed' | 'required';

export interface ChallengeContext {
  dpop: DpopPolicy;
  /** `algs` of the DPoP challenge (RFC 9449 §7.1). */
  algorithms: readonly string[];
  /** RFC 9728 §5.1: where the resource's metadata is. */
  resourceMetadata: string;
  /** Every scope the operation needs (RFC 6750 §3 `scope`). */
  scopes?: readonly string[];
}

/**
 * RFC 7235 quoted-string: backslash-escape `"` and `\`; drop control characters; anything past
 * ASCII becomes `?` (a description may echo the request, e.g. a call's action, and a character
 * outside Latin-1 makes Node's setHeader and fetch's Headers throw: no answer at all).
 */
const quote = (v: string) => {
  let out = '';
  for (const ch of v) {
    const c = ch.codePointAt(0) ?? 0;
    out +=
      c < 0x20 || c === 0x7f ? ' ' : c > 0x7e ? '?' : ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  }
  return `"${out}"`;
};

const params = (p: [string, string | undefined][]) =>
  p
    .filter((x): x is [string, string] => x[1] !== undefined)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(', ');

/**
 * The `WWW-Authenticate` value for a refusal: RFC 6750 §3 `Bearer` and/or RFC 9449 §7.1 `DPoP`,
 * one per scheme the resource accepts, the error on the scheme it concerns (a proof error on
 * DPoP; a token error on the scheme the token came with), none when no credentials were sent.
 */
export function challengeFor(
  err: BatonAuthError,
  ctx: ChallengeContext,
  scheme: 'Bearer' | 'DPoP' | undefined,
): string {
  const missing = err instanceof InvalidTokenError && err.missing;
  const scopes = err instanceof InsufficientScopeError ? err.scopes : ctx.scopes;
  const dpopError =
    err.code === 'invalid_dpop_proof' || err.code === 'use_dpop_nonce' || scheme === 'DPoP';
  const common = (withError: boolean): [string, string | undefined][] => [
    ['error', withError && !missing ? err.code : undefined],
    ['error_description', withError && !missing ? err.description : undefined],
    ['scope', scopes && scopes.length > 0 ? scopes.join(' ') : undefined],
    ['resource_metadata', ctx.resourceMetadata],
  ];
  const out: string[] = [];
  if (ctx.dpop !== 'required') out.push(`Bearer ${params(common(!dpopError))}`);
  if (ctx.dpop !== 'off')
    out.push(
      `DPoP ${params([...common(dpopError || ctx.dpop === 'required'), ['algs', ctx.algorithms.join(' ')]])}`,
    );
  return out.join(', ');
}
