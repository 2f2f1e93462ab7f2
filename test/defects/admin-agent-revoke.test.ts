/**
 * `POST /admin/agents/{id}/revoke` refuses an id that is no configured agent (a typo would
 * "succeed" and revoke nothing meant) with 404 `not_found`, and writes no mark; the admin who
 * means it sends `{"allow_unknown": true}` (an agent removed from config may still hold live
 * tokens). docs/endpoints.md, docs/revocation.md. Over HTTP, memory store.
 */
import { ADMIN_KEY, postJson, startTestBaton, type RunningBaton } from '../support/fixtures.js';
import { adminRequest } from '../support/revocation-flows.js';

let b: RunningBaton;
let url: string;

beforeAll(async () => ({ b, url } = await startTestBaton()));
afterAll(() => b?.close());

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const revoke = (id: string, body?: unknown) =>
  body === undefined
    ? adminRequest(url, 'POST', `/admin/agents/${encodeURIComponent(id)}/revoke`)
    : postJson(`${url}/admin/agents/${encodeURIComponent(id)}/revoke`, body, admin);
const marked = async (id: string) =>
  (await b.baton.ctx.store.readMarks(undefined, { limit: 1000, maxAgeSeconds: 3600 })).marks.some(
    (m) => m.kind === 'agent' && m.id === id,
  );

it.each([
  ['a typo of an agent id', 'biling-agent'],
  ['a resource server’s client id', 'tickets-rs'],
  ['an id no client has', 'nobody'],
])('refuses %s with 404 not_found and writes no mark', async (_what, id) => {
  for (const r of [
    await revoke(id),
    await revoke(id, {}),
    await revoke(id, { allow_unknown: false }),
  ]) {
    expect({ status: r.status, error: r.body.error }).toEqual({ status: 404, error: 'not_found' });
    expect(String(r.body.error_description)).toContain('"allow_unknown": true');
  }
  expect(await marked(id)).toBe(false);
});

it('revokes an unknown id when the admin says it means it (allow_unknown), saying it is not configured', async () => {
  const r = await revoke('retired-agent', { allow_unknown: true });
  expect(r.status).toBe(200);
  expect(r.body).toEqual({
    revoked: 'agent',
    id: 'retired-agent',
    before: expect.any(Number),
    configured: false,
  });
  expect(await marked('retired-agent')).toBe(true);
});

it('revokes a configured agent with no body, as before', async () => {
  const r = await revoke('isolated-agent');
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ revoked: 'agent', id: 'isolated-agent', configured: true });
  expect(await marked('isolated-agent')).toBe(true);
});

it('refuses a body that is not {"allow_unknown": boolean} (invalid_request)', async () => {
  for (const body of [{ allow_unknown: 'yes' }, { force: true }]) {
    const r = await revoke('nobody-else', body);
    expect({ status: r.status, error: r.body.error }).toEqual({
      status: 400,
      error: 'invalid_request',
    });
  }
  expect(await marked('nobody-else')).toBe(false);
});
