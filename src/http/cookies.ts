import type { BatonContext } from '../context.js';

/**
 * The console's cookies (docs/console.md, "Sessions"). Outside loopback each is `__Host-`
 * (RFC 6265bis §4.1.3.2: Secure, Path=/, no Domain, so no sibling host can set or read it) and
 * Secure; a demo on loopback over plain http can set neither, so there it goes without both.
 * Always HttpOnly: no script reads a session.
 */
export const isLoopback = (url: string): boolean => {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
};

const name = (ctx: BatonContext, base: string) =>
  isLoopback(ctx.config.issuer) ? `baton_${base}` : `__Host-baton_${base}`;

export const sessionCookieName = (ctx: BatonContext) => name(ctx, 'session');
export const loginCookieName = (ctx: BatonContext) => name(ctx, 'login');

export function readCookie(header: string | undefined, cookie: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === cookie) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A Set-Cookie value. The session cookie is `SameSite=Strict`; the login round trip's is `Lax`
 * (the IdP's redirect back is a cross-site navigation: a Strict cookie would not be sent).
 */
export function cookie(
  ctx: BatonContext,
  cookieName: string,
  value: string,
  opts: { maxAgeSeconds: number; sameSite: 'Strict' | 'Lax' },
): string {
  return [
    `${cookieName}=${value}`,
    'Path=/',
    `Max-Age=${opts.maxAgeSeconds}`,
    'HttpOnly',
    `SameSite=${opts.sameSite}`,
    ...(isLoopback(ctx.config.issuer) ? [] : ['Secure']),
  ].join('; ');
}
