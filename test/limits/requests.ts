/**
 * HTTP from a chosen source address (127.0.0.x: every loopback address is this host), so the
 * rate-limit tests can play an attacker and a victim on different addresses.
 */
import { request } from 'node:http';
import { basic, formBody, SECRETS, type ClientId } from '../support/fixtures.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

export function send(
  url: string,
  path: string,
  opts: {
    method?: string;
    from?: string;
    headers?: Record<string, string>;
    form?: Record<string, string>;
    json?: unknown;
  } = {},
): Promise<Answer> {
  const body =
    opts.json !== undefined ? JSON.stringify(opts.json) : opts.form ? formBody(opts.form) : '';
  const type = opts.json !== undefined ? 'application/json' : 'application/x-www-form-urlencoded';
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method: opts.method ?? 'POST',
        localAddress: opts.from ?? '127.0.0.1',
        agent: false,
        headers: {
          ...(body ? { 'content-type': type, 'content-length': Buffer.byteLength(body) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        if (res.headers['content-type']?.startsWith('text/event-stream')) {
          res.destroy(); // a feed that opened: the status is all the test wants
          resolve({ status: res.statusCode!, headers: res.headers, body: {} });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Basic credentials of a test client, right or wrong. */
export const auth = (id: ClientId, secret: string = SECRETS[id]) => ({
  authorization: basic(id, secret),
});

/** A cheap authenticated request to /token: the client authenticates, the form is refused (400). */
export const cheapToken = (url: string, id: ClientId, from?: string, secret?: string) =>
  send(url, '/token', {
    headers: auth(id, secret),
    form: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange' },
    ...(from ? { from } : {}),
  });
