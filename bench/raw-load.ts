/**
 * A lean HTTP/1.1 load driver for scenarios whose every request differs (a DPoP proof is
 * single-use): autocannon rebuilds a request from `setupRequest` on every send, which on this
 * 2-core machine left Baton 37% idle during the bound exchange (the load generator, not Baton,
 * was the limit). Here each request is one pre-rendered string written to a keep-alive socket,
 * `connections` sockets each with one request in flight; responses are framed by
 * Content-Length. Used for every scenario of bench/dpop.ts, so all three are driven alike.
 * Loopback only, bounded by its duration.
 */
import { connect, type Socket } from 'node:net';
import { LatencySample } from './stats.js';

export interface RawResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non2xx: number;
}

/** One POST with a form body, as raw HTTP/1.1 (keep-alive). */
export function rawPost(url: URL, headers: Record<string, string>, body: string): string {
  const lines = [
    `POST ${url.pathname} HTTP/1.1`,
    `host: ${url.host}`,
    'connection: keep-alive',
    `content-length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Sends `next()` requests for `seconds` over `connections` sockets to 127.0.0.1. */
export async function driveRaw(
  url: URL,
  next: () => string,
  connections: number,
  seconds: number,
): Promise<RawResult> {
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost')
    throw new Error('the load driver talks to loopback only');
  const sample = new LatencySample();
  let requests = 0;
  let non2xx = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = process.hrtime.bigint();
  const one = (socket: Socket) =>
    new Promise<void>((resolve, reject) => {
      let buf = '';
      let sent = 0n;
      const send = () => {
        if (Date.now() >= end) {
          socket.end();
          resolve();
          return;
        }
        sent = process.hrtime.bigint();
        socket.write(next());
      };
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        buf += chunk;
        for (;;) {
          const head = buf.indexOf('\r\n\r\n');
          if (head < 0) return;
          const m = /\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, head));
          const len = m ? Number(m[1]) : 0;
          if (buf.length < head + 4 + len) return;
          const status = Number(buf.slice(9, 12));
          buf = buf.slice(head + 4 + len);
          requests++;
          if (status < 200 || status > 299) non2xx++;
          sample.add(Number(process.hrtime.bigint() - sent) / 1e6);
          send();
        }
      });
      socket.on('error', reject);
      send();
    });
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(Number(url.port), url.hostname, () => resolve(s));
          s.on('error', reject);
          s.setNoDelay(true);
        }),
    ),
  );
  await Promise.all(sockets.map(one));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    rps: (requests - non2xx) / elapsed,
    p50_ms: sample.quantile(0.5),
    p99_ms: sample.quantile(0.99),
    requests,
    non2xx,
  };
}
