/**
 * `baton events tail` reconnects when the stream breaks and resumes with Last-Event-ID (WHATWG
 * HTML §9.2): against a small SSE server that drops the first connection after one event.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runBaton, stopAllBatons } from '../support/index.js';

let server: Server;
let url: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.headers.authorization !== 'Bearer k') {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end('{"error":"invalid_token","error_description":"admin key required"}');
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const n = seen.length;
    // retry: 50 keeps the test short; the first connection ends after its one event.
    res.write(
      `retry: 50\n\nid: e${n}\nevent: change\ndata: {"kind":"task","type":"task_started","time":1,"txn":"t${n}"}\n\n`,
    );
    if (n === 1) res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await stopAllBatons();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('a dropped stream is reconnected with Last-Event-ID, and both changes are printed', async () => {
  const r = await runBaton(['events', 'tail', '--count', '2', '--json'], {
    BATON_URL: url,
    BATON_ADMIN_KEY: 'k',
  });
  expect(r.code).toBe(0);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { txn: string });
  expect(lines.map((l) => l.txn)).toEqual(['t1', 't2']);
  expect(seen[0]?.['last-event-id']).toBeUndefined();
  expect(seen[1]?.['last-event-id']).toBe('e1');
  expect(r.stderr).toContain('reconnecting in 50 ms');
});

test('a refused stream is not retried: exit 3 with the reason', async () => {
  const before = seen.length;
  const r = await runBaton(['events', 'tail'], { BATON_URL: url, BATON_ADMIN_KEY: 'wrong' });
  expect(r.code).toBe(3);
  expect(r.stderr).toContain('invalid_token: admin key required');
  expect(seen.length).toBe(before + 1);
});
