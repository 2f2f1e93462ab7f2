import { DEFAULTS } from '../config/defaults.js';
import { CliError, EXIT, UsageError } from './usage.js';

/**
 * The admin API (docs/admin-api.md, docs/endpoints.md "Admin API") as the CLI calls it: fetch
 * with `Authorization: Bearer <BATON_ADMIN_KEY>`, JSON in and out, and every failure turned
 * into one line with its exit code. The key is read from the environment only, never a flag,
 * so it stays out of shell history and `ps`.
 */

export interface AdminTarget {
  url: string;
  key: string;
}

/** `--url`, else BATON_URL, else the default port on loopback; the key from BATON_ADMIN_KEY. */
export function adminTarget(
  opts: { url?: string },
  env: NodeJS.ProcessEnv = process.env,
): AdminTarget {
  const url = opts.url ?? env.BATON_URL ?? `http://127.0.0.1:${DEFAULTS.port}`;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new UsageError(`--url / BATON_URL must be an http(s) URL (got "${url}")`);
  }
  const key = env.BATON_ADMIN_KEY;
  if (!key) throw new UsageError('set BATON_ADMIN_KEY to an admin key (see `baton secret`)');
  return { url: url.replace(/\/+$/, ''), key };
}

/** What an error body says, as `code: description` (RFC 6749 §5.2 shape), else the status. */
async function reasonOf(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const b = JSON.parse(text) as { error?: string; error_description?: string };
    if (b.error) return b.error_description ? `${b.error}: ${b.error_description}` : b.error;
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${res.status}`;
}

function exitFor(status: number): number {
  if (status === 401 || status === 403) return EXIT.refused;
  if (status === 404) return EXIT.notFound;
  if (status === 400) return EXIT.usage;
  return EXIT.failed;
}

export class AdminClient {
  constructor(
    readonly target: AdminTarget,
    private readonly timeoutMs = 30_000,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.target.key}`, accept: 'application/json', ...extra };
  }

  /** One call; a refused or failed one throws a CliError naming the path and Baton's reason. */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.target.url}${path}`, {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new CliError(`cannot reach Baton at ${this.target.url} (${cause})`);
    }
    if (!res.ok) {
      const reason = await reasonOf(res);
      const hint = res.status === 401 ? ' (is BATON_ADMIN_KEY an admin key of this Baton?)' : '';
      throw new CliError(`${method} ${path}: ${reason}${hint}`, exitFor(res.status));
    }
    return (await res.json()) as T;
  }

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    return this.call<T>('GET', qs ? `${path}?${qs}` : path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }
}

/** A path segment: ids and subs may hold `/`, `:` or `@` (a user's sub often does). */
export const seg = (s: string) => encodeURIComponent(s);
