/**
 * A tiny keep-alive HTTP client for the bench's own calls (set-up, admin revokes, polling a
 * second instance): node:http with one pooled agent, so a measured call is one request on a warm
 * connection, not a connect plus a request.
 */
import { Agent, request } from 'node:http';
import { FORM, formBody } from '../test/support/index.js';

export interface Reply {
  status: number;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

export function call(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs?: number;
    agent?: Agent;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
    const req = request(
      url,
      {
        method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'),
        headers,
        agent: opts.agent ?? keepAlive,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, text, json: <T>() => JSON.parse(text) as T });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () =>
      req.destroy(new Error(`${url}: no answer within ${opts.timeoutMs ?? 10_000} ms`)),
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** POST a form; throws unless the answer is 200. */
export async function postForm(
  url: string,
  fields: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const r = await call(url, {
    body: formBody(fields),
    headers: { 'content-type': FORM, ...headers },
  });
  if (r.status !== 200) throw new Error(`POST ${url} -> ${r.status} ${r.text.slice(0, 300)}`);
  return r.json();
}
