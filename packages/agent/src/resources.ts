import { normalizeResourceUri } from '@baton/protocol';
import { BatonError } from './errors.js';
import type { HttpOptions } from './http-options.js';

/**
 * RFC 3986 §6.2.2–6.2.3 normalisation, the same rule Baton's `/token` applies
 * (`normalizeResourceUri`), without query and fragment: the form resources are compared in.
 */
export function normalizeResource(uri: string): string {
  const normal = normalizeResourceUri(uri.split('#')[0] ?? uri);
  if (normal === undefined) throw new BatonError('invalid_target', `${uri} is not an absolute URI`);
  const u = new URL(normal);
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new BatonError('invalid_target', `${uri} is not an http(s) URL`);
  return `${u.origin}${u.pathname}`;
}

/**
 * The tools' resources the agent knows. A request URL matches a resource when it has the same
 * origin and its path is the resource's path or lies under it (at a `/` boundary); the longest
 * match wins.
 */
export class KnownResources {
  private readonly list: string[] = [];

  constructor(initial: readonly string[] = []) {
    for (const r of initial) this.add(r);
  }

  add(resource: string): string {
    const n = normalizeResource(resource);
    if (!this.list.includes(n)) this.list.push(n);
    return n;
  }

  /** The known resource a request URL falls under, or undefined (then no token is sent). */
  match(url: string): string | undefined {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return undefined;
    }
    let best: string | undefined;
    for (const r of this.list) {
      const ru = new URL(r);
      if (ru.origin !== u.origin) continue;
      const base = ru.pathname.endsWith('/') ? ru.pathname : `${ru.pathname}/`;
      if (u.pathname === ru.pathname || u.pathname.startsWith(base) || `${u.pathname}/` === base)
        if (!best || r.length > best.length) best = r;
    }
    return best;
  }
}

/** RFC 9728 protected resource metadata, the fields the SDK reads. */
export interface ResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  scopes_supported?: string[];
  [field: string]: unknown;
}

/**
 * Fetches a tool's RFC 9728 metadata for `resource` (§3.1: the well-known path inserted before
 * the resource's path) and accepts it only if its `resource` equals the resource asked about
 * (§3.3) — so a server cannot claim another tool's resource — and it names `issuer` among its
 * authorization servers.
 */
export async function fetchResourceMetadata(
  resource: string,
  issuer: string,
  http: HttpOptions,
): Promise<ResourceMetadata> {
  const n = normalizeResource(resource);
  const u = new URL(n);
  const path = u.pathname === '/' ? '' : u.pathname;
  const url = `${u.origin}/.well-known/oauth-protected-resource${path}`;
  const res = await http.fetch(url, {
    headers: { accept: 'application/json' },
    redirect: 'manual',
  });
  if (!res.ok)
    throw new BatonError(
      'invalid_target',
      `no protected resource metadata at ${url} (${res.status})`,
    );
  const md = (await res.json().catch(() => undefined)) as ResourceMetadata | undefined;
  if (!md || typeof md.resource !== 'string')
    throw new BatonError('invalid_target', `${url} is not RFC 9728 metadata`);
  let claimed: string;
  try {
    claimed = normalizeResource(md.resource);
  } catch {
    claimed = '';
  }
  if (claimed !== n)
    throw new BatonError(
      'invalid_target',
      `metadata at ${url} names resource ${md.resource}, not ${resource} (RFC 9728 §3.3)`,
    );
  const servers = Array.isArray(md.authorization_servers) ? md.authorization_servers : [];
  if (!servers.some((s) => typeof s === 'string' && sameIssuer(s, issuer)))
    throw new BatonError(
      'invalid_target',
      `${resource} does not name ${issuer} as its authorization server`,
    );
  return md;
}

function sameIssuer(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}
