import type { ServerResponse } from 'node:http';

/** RFC 6749 §5.1: token and error responses are never cached. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  // A string body, not a Buffer: node:http then sends the head and the body in one write (a
  // Buffer goes out beside the head in a writev of two chunks).
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    ...NO_STORE,
    ...headers,
  });
  res.end(json);
}
