/**
 * A path whose percent-encoding does not decode (`%FF` is no UTF-8) is the caller's mistake: 400
 * `invalid_request` at every route with a path parameter, with or without credentials (the path
 * is checked before the admin key), and no "unexpected error" in the log (docs/errors.md). One
 * check ahead of every express route does it (src/http/path.ts).
 */
import {
  ADMIN_KEY,
  capturedLog,
  credentials,
  makeUpstream,
  startBaton,
  testConfig,
  type RunningBaton,
} from '../support/fixtures.js';

let b: RunningBaton;
const { log, entries: lines } = capturedLog();

beforeAll(async () => {
  b = await startBaton(testConfig(await makeUpstream()), { log });
});
afterAll(() => b?.close());

/** Every route with a path parameter, the parameter written as `BAD`. */
const ROUTES: [method: 'GET' | 'POST', path: string][] = [
  ['POST', '/tasks/BAD/complete'],
  ['GET', '/admin/tasks/BAD'],
  ['GET', '/admin/tasks/BAD/events'],
  ['POST', '/admin/tasks/BAD/revoke'],
  ['POST', '/admin/agents/BAD/revoke'],
  ['POST', '/admin/users/BAD/revoke'],
  ['GET', '/admin/approvals/BAD'],
  ['POST', '/admin/approvals/BAD/approve'],
  ['POST', '/admin/approvals/BAD/deny'],
];
const BAD = ['%FF', '%E0%A4', '%', 'a%zz'];

const callers: Record<string, Record<string, string>> = {
  'no credentials': {},
  'the admin key': { authorization: `Bearer ${ADMIN_KEY}` },
  'an agent': credentials('support-agent').headers,
};

describe.each(Object.entries(callers))('with %s', (_who, headers) => {
  it.each(ROUTES)('%s %s with a malformed escape is 400 invalid_request', async (method, path) => {
    for (const bad of BAD) {
      lines.length = 0;
      const res = await fetch(`${b.url}${path.replace('BAD', bad)}`, {
        method,
        headers: { ...headers, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{"outcome":"succeeded"}' } : {}),
      });
      const body = (await res.json()) as Record<string, unknown>;
      expect({ bad, status: res.status, error: body.error }).toEqual({
        bad,
        status: 400,
        error: 'invalid_request',
      });
      expect(String(body.error_description)).toContain('percent-encoding');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(lines.filter((l) => l.msg === 'unexpected error' || Number(l.level) >= 50)).toEqual(
        [],
      );
    }
  });
});

it('a well-formed escape still reaches the route (an unknown task is 404)', async () => {
  const res = await fetch(`${b.url}/admin/tasks/%C3%A9t%C3%A9`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  expect(res.status).toBe(404);
});
