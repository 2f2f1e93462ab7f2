/**
 * What the resource-server tests share beside the server harness: a verifier for the test cast's
 * tickets tool, a request as the verifier sees it, and bounded polling (never a timing assert).
 */
import { createVerifier, type BatonVerifier, type VerifierOptions } from '../src/index.js';
import type { DpopKey } from '../../../test/support/index.js';
import { ISSUER, SECRETS, TICKETS } from '../../../test/support/index.js';

export const TOOL_URL = 'https://tools.test/tickets/items';

export function ticketsVerifier(batonUrl: string, o: Partial<VerifierOptions> = {}): BatonVerifier {
  return createVerifier({
    issuer: ISSUER,
    resource: TICKETS,
    batonUrl,
    credentials: { clientId: 'tickets-rs', clientSecret: SECRETS['tickets-rs'] },
    jwksCooldownSeconds: 0,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    ...o,
  });
}

export const bearer = (token: string, url = TOOL_URL, method = 'GET') => ({
  method,
  url,
  headers: { authorization: `Bearer ${token}` },
});

export async function dpopReq(key: DpopKey, token: string, url = TOOL_URL, method = 'GET') {
  return {
    method,
    url,
    headers: {
      authorization: `DPoP ${token}`,
      dpop: await key.proof(method, url, { accessToken: token }),
    },
  };
}

/** The verdict of a check: 'ok' or the refusal's error code. */
export async function verdict(
  v: BatonVerifier,
  req: Parameters<BatonVerifier['verify']>[0],
  need?: Parameters<BatonVerifier['verify']>[1],
): Promise<string> {
  try {
    await v.verify(req, need);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** Polls `f` until it returns `want` (bounded: 10 s), then returns what it last returned. */
export async function until<T>(f: () => Promise<T>, want: T, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last = await f();
  while (last !== want && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 25));
    last = await f();
  }
  return last;
}
