import * as oauth from 'oauth4webapi';

/** How the SDK reaches the network: one fetch for Baton and tools, and whether http: is allowed. */
export interface HttpOptions {
  fetch: typeof fetch;
  /** oauth4webapi's options carrying the same fetch (and `allowInsecureRequests` when asked). */
  oauth: {
    [oauth.customFetch]: (url: string, init: object) => Promise<Response>;
    [oauth.allowInsecureRequests]?: boolean;
  };
}

export function httpOptions(
  fetchImpl: typeof fetch | undefined,
  allowHttp: boolean | undefined,
): HttpOptions {
  const f = fetchImpl ?? globalThis.fetch;
  return {
    fetch: f,
    oauth: {
      [oauth.customFetch]: (url: string, init: object) => f(url, init as RequestInit),
      ...(allowHttp ? { [oauth.allowInsecureRequests]: true } : {}),
    },
  };
}
