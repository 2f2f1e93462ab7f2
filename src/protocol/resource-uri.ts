/**
 * RFC 3986 §6.2.2–6.2.3 normalisation of a resource URI, so that `HTTPS://Tickets.Example:443`
 * and `https://tickets.example/` name one tool at Baton's `/token` (RFC 8707 `resource`), at the
 * agent SDK's `fetch` and in a resource server's metadata. Case of scheme and host, the default
 * port and an empty path are syntax only (WHATWG URL parsing already normalises them); hex digits
 * of percent-encodings are upper-cased and unreserved characters decoded (§6.2.2.1–2). Anything
 * else — a trailing slash on a path, a query — makes another URI. Answers undefined for a string
 * that is not an absolute URI, or one with a fragment (RFC 8707 §2: a resource has none).
 */
export function normalizeResourceUri(raw: string): string | undefined {
  if (raw.includes('#')) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  url.pathname = url.pathname.replace(/%[0-9a-fA-F]{2}/g, (pct) => {
    const ch = String.fromCharCode(Number.parseInt(pct.slice(1), 16));
    return /[A-Za-z0-9\-._~]/.test(ch) ? ch : pct.toUpperCase();
  });
  return url.href;
}

/** The spelling of `uri` with its path's trailing slash added or removed, for a "did you mean". */
export function otherSlashSpelling(uri: string): string {
  const u = new URL(uri);
  if (u.pathname === '/') return uri;
  u.pathname = u.pathname.endsWith('/') ? u.pathname.slice(0, -1) : `${u.pathname}/`;
  return u.href;
}
