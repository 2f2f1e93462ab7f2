import { InvalidRequestError, InvalidTokenError } from '../errors.js';
import type { VerifyInput } from '../principal.js';

/** Every value of one header, by lower-case name, from a plain record or a fetch `Headers`. */
export function headerValues(h: VerifyInput['headers'], name: string): string[] {
  if (typeof (h as Headers).get === 'function' && typeof (h as Headers).has === 'function') {
    const v = (h as Headers).get(name);
    return v === null ? [] : [v];
  }
  const v = (h as Record<string, string | readonly string[] | undefined>)[name];
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : [...v];
}

/** RFC 6750 §2.1 / RFC 9449 §7.1: `Authorization: Bearer <token>` or `DPoP <token>`. */
export function readAuthorization(h: VerifyInput['headers']): {
  scheme: 'Bearer' | 'DPoP';
  token: string;
} {
  const values = headerValues(h, 'authorization');
  if (values.length === 0) throw new InvalidTokenError('an access token is required', true);
  if (values.length > 1) throw new InvalidRequestError('more than one Authorization header');
  const v = values[0] ?? '';
  // Another scheme (Basic, …) carries no access token: 401 with the challenge, no error code.
  if (!/^(Bearer|DPoP) /i.test(v)) throw new InvalidTokenError('an access token is required', true);
  const m = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(v);
  if (!m) throw new InvalidRequestError('Authorization must be "Bearer <token>" or "DPoP <token>"');
  return { scheme: m[1]?.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: m[2] ?? '' };
}
