/**
 * The size caps of authorization details count UTF-8 bytes, not UTF-16 code units: a tool's
 * `maxArgumentsBytes` on `tool_call.arguments` (JSON) and the whole `authorization_details` cap
 * (docs/approvals.md). Text in most scripts is 2–3 bytes a character, so a `length` check would
 * let it through at up to three times the cap. Over HTTP, memory store.
 */
import { DEFAULTS } from '../../src/config/defaults.js';
import {
  exchange,
  startTaskToken,
  startTestBaton,
  TICKETS,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

let upstream: Upstream;
let b: RunningBaton;
let url: string;

beforeAll(async () => {
  ({ upstream, b, url } = await startTestBaton((raw) => {
    // A second tool whose arguments may fill the whole details cap, so that cap is what decides.
    const tools = raw.tools as Record<string, unknown>[];
    const tickets = tools.find((t) => t.resource === TICKETS)!;
    tools.push({
      ...tickets,
      resource: 'https://tools.test/wide',
      name: 'wide',
      maxArgumentsBytes: DEFAULTS.maxAuthorizationDetailsBytes,
      resourceServer: { ...(tickets.resourceServer as object), clientId: 'wide-rs' },
    });
    const agent = (raw.agents as Record<string, unknown>[])[0]!;
    (agent.tools as Record<string, unknown>)['https://tools.test/wide'] = {
      scopes: ['tickets:read'],
    };
  }));
});
afterAll(() => b?.close());

/** A tool token request for `tool` whose one call carries `{"t": text}` as arguments. */
async function askWith(tool: string, text: string) {
  const task = await startTaskToken(url, upstream);
  return exchange(url, 'support-agent', {
    subject_token: task,
    resource: tool,
    scope: 'tickets:read',
    authorization_details: JSON.stringify([
      { type: 'tool_call', action: 'read', arguments: { t: text } },
    ]),
  });
}

const max = DEFAULTS.toolMaxArgumentsBytes;
const wrapper = Buffer.byteLength('{"t":""}');

it('arguments over maxArgumentsBytes in UTF-8 are refused though their length is under it', async () => {
  const text = 'é'.repeat((max - wrapper) / 2 + 1); // 2 bytes each: max + 2 bytes, ~max/2 units
  expect(JSON.stringify({ t: text }).length).toBeLessThan(max);
  const r = await askWith(TICKETS, text);
  expect({ status: r.status, error: r.body.error }).toEqual({
    status: 400,
    error: 'invalid_authorization_details',
  });
  expect(r.body.error_description).toBe(
    `tool_call.arguments exceed ${max} bytes; bind them by arguments_sha256`,
  );
});

it('arguments of exactly maxArgumentsBytes in UTF-8 are accepted', async () => {
  const text = 'é'.repeat((max - wrapper) / 2);
  expect(Buffer.byteLength(JSON.stringify({ t: text }))).toBe(max);
  const r = await askWith(TICKETS, text);
  expect(r.status).toBe(200);
});

it('a details value over the whole cap in UTF-8 is refused though its length is under it', async () => {
  const cap = DEFAULTS.maxAuthorizationDetailsBytes;
  const text = '€'.repeat(Math.floor((cap - wrapper) / 3)); // 3 bytes each, arguments ≤ cap
  expect(Buffer.byteLength(JSON.stringify({ t: text }))).toBeLessThanOrEqual(cap);
  const r = await askWith('https://tools.test/wide', text);
  expect({ status: r.status, error: r.body.error }).toEqual({
    status: 400,
    error: 'invalid_authorization_details',
  });
  expect(r.body.error_description).toBe(`authorization_details exceeds ${cap} bytes`);
});
