import * as oauth from 'oauth4webapi';
import type { AgentDpop } from './dpop.js';
import { BatonError, InsufficientScopeError } from './errors.js';
import type { HttpOptions } from './http-options.js';
import type { KnownResources } from './resources.js';
import type { HeldToken } from './token-cache.js';

/** `fetch` options plus what the token for the call should carry. */
export interface TaskFetchInit extends RequestInit {
  /** The scope to ask for (default: everything the task may have at that tool). */
  scope?: string[];
  /** Bind the token to this one call (RFC 9396 `tool_call`; never cached). */
  toolCall?: { action: string; arguments?: Record<string, unknown> };
}

/** What `taskFetch` needs of its task. */
export interface FetchDeps {
  known: KnownResources;
  http: HttpOptions;
  dpop: AgentDpop | undefined;
  tokenFor(resource: string, o: Pick<TaskFetchInit, 'scope' | 'toolCall'>): Promise<HeldToken>;
  forget(resource: string, scope: string[] | undefined): void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * `fetch` that carries the task's token only to the tools it is for: the request URL must fall
 * under a known resource (RFC 3986-normalised), else it goes out untouched. Redirects are
 * followed by hand and only within the same origin and a known resource; any other redirect is
 * returned as it came, so no token crosses to another origin. A 401/403 challenge is answered
 * once: `insufficient_scope` asks for the scope the tool names (or fails naming it), any other
 * challenge gets a fresh token.
 */
export async function taskFetch(
  deps: FetchDeps,
  input: string | URL,
  init: TaskFetchInit = {},
): Promise<Response> {
  const { scope, toolCall, ...rest } = init;
  let url = new URL(String(input));
  let resource = deps.known.match(url.href);
  if (!resource) return deps.http.fetch(url.href, rest);
  let method = (rest.method ?? 'GET').toUpperCase();
  let body = rest.body ?? null;
  let wanted = scope;
  let retried = false;
  for (let hops = 0; ; ) {
    const held = await deps.tokenFor(resource, {
      ...(wanted ? { scope: wanted } : {}),
      ...(toolCall ? { toolCall } : {}),
    });
    const headers = new Headers(rest.headers);
    headers.delete('authorization');
    headers.delete('dpop');
    let response: Response;
    try {
      response = await oauth.protectedResourceRequest(
        held.token,
        method,
        url,
        headers,
        body as oauth.ProtectedResourceRequestBody,
        {
          ...deps.http.oauth,
          ...(held.tokenType === 'DPoP' && deps.dpop ? { DPoP: deps.dpop.handle } : {}),
          ...(rest.signal ? { signal: rest.signal } : {}),
        },
      );
    } catch (e) {
      if (!(e instanceof oauth.WWWAuthenticateChallengeError)) throw e;
      const params = e.cause.find((c) => c.parameters.error)?.parameters ?? {};
      if (retried || toolCall) {
        if (params.error === 'insufficient_scope')
          throw new InsufficientScopeError(resource, (params.scope ?? '').split(' '), e);
        return e.response;
      }
      retried = true;
      if (params.error === 'insufficient_scope') {
        const needed = (params.scope ?? '').split(' ').filter(Boolean);
        if (needed.length === 0) throw new InsufficientScopeError(resource, [], e);
        wanted = [...new Set([...(wanted ?? held.scope.split(' ')), ...needed])];
        try {
          await deps.tokenFor(resource, { scope: wanted });
        } catch (err) {
          if (err instanceof BatonError && err.code === 'invalid_scope')
            throw new InsufficientScopeError(resource, needed, err);
          throw err;
        }
      } else if (params.error !== 'use_dpop_nonce') deps.forget(resource, wanted);
      continue;
    }
    if (!REDIRECTS.has(response.status)) return response;
    const location = response.headers.get('location');
    if (!location || ++hops > MAX_REDIRECTS) return response;
    const next = new URL(location, url);
    const nextResource = next.origin === url.origin ? deps.known.match(next.href) : undefined;
    // RFC 9110 §15.4: never carry the token to another origin; hand the redirect back instead.
    if (!nextResource) return response;
    if (
      response.status === 303 ||
      ((response.status === 301 || response.status === 302) && method === 'POST')
    ) {
      method = 'GET';
      body = null;
    }
    url = next;
    resource = nextResource;
  }
}
