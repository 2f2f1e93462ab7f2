/** A token the task holds for one tool and scope, with the epoch second it expires. */
export interface HeldToken {
  token: string;
  tokenType: 'Bearer' | 'DPoP';
  exp: number;
  scope: string;
  authorizationDetails?: unknown[];
}

/** Tokens are reused until this many seconds before their `exp` (clock skew, request time). */
export const REFRESH_BEFORE_EXPIRY_SECONDS = 30;

/**
 * Tool tokens per (resource, scope): reused until shortly before expiry, and single-flight, so
 * concurrent asks for the same token make one exchange. Tokens bound to one `tool_call` never
 * come here (each call gets its own).
 */
export class TokenCache {
  private readonly held = new Map<string, HeldToken>();
  private readonly inFlight = new Map<string, Promise<HeldToken>>();

  constructor(private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {}

  static keyOf(resource: string, scope: readonly string[] | undefined): string {
    return `${resource} ${scope ? [...new Set(scope)].sort().join(' ') : '*'}`;
  }

  /** The held token while fresh; else the one exchange in flight for it; else a new one. */
  get(key: string, fetchNew: () => Promise<HeldToken>): Promise<HeldToken> {
    const held = this.held.get(key);
    if (held && held.exp - REFRESH_BEFORE_EXPIRY_SECONDS > this.now()) return Promise.resolve(held);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = fetchNew()
      .then((t) => {
        this.held.set(key, t);
        return t;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  /** Forgets one token (a tool refused it) or, with no key, all of them (the task ended). */
  drop(key?: string): void {
    if (key === undefined) this.held.clear();
    else this.held.delete(key);
  }
}
