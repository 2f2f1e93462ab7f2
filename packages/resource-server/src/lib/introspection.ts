import type { IntrospectionResponse } from '@baton/protocol';
import { UnavailableError } from '../errors.js';
import type { ClientAuth } from './client-auth.js';

/** RFC 7662 §2.2 as Baton answers it (docs/endpoints.md, `POST /introspect`). */
export type Introspection = IntrospectionResponse;

export interface IntrospectionClient {
  introspect(token: string): Promise<Introspection>;
}

/**
 * `POST /introspect` as the tool's resource server. Anything but a 200 with JSON is "cannot
 * tell" (UnavailableError), never "active": fail closed.
 */
export function introspectionClient(o: {
  endpoint: string;
  auth: () => Promise<ClientAuth>;
  fetch: typeof fetch;
  timeoutMs: number;
}): IntrospectionClient {
  return {
    async introspect(token) {
      const a = await o.auth();
      let res: Response;
      try {
        res = await o.fetch(o.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...a.headers },
          body: new URLSearchParams({ token, ...a.form }).toString(),
          signal: AbortSignal.timeout(o.timeoutMs),
        });
      } catch {
        throw new UnavailableError('Baton cannot be reached to check the token', 5);
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new UnavailableError(`Baton answered introspection with ${res.status}`, 5);
      }
      const body = (await res.json().catch(() => undefined)) as Introspection | undefined;
      if (!body || typeof body !== 'object' || typeof body.active !== 'boolean')
        throw new UnavailableError('Baton answered introspection with no verdict', 5);
      return body.active === true ? body : { active: false };
    },
  };
}
