/**
 * `npm run example:mcp` end to end: the demo as `npm start` starts it (free ports), the example's
 * two MCP servers at PORT+2 and PORT+3, and the story through the real MCP SDK. Each step's
 * line must say what docs/call-mcp-tools.md shows.
 */
import { startServers, type ExampleServers } from '../../examples/mcp/servers.js';
import { runStory } from '../../examples/mcp/story.js';
import { serve, type Served } from '../../src/cli/serve.js';
import { freePort, inTempDir } from '../support/story.js';

let served: Served | undefined;
let servers: ExampleServers | undefined;
let undo: (() => Promise<void>) | undefined;
const lines: string[] = [];

beforeAll(async () => {
  undo = (await inTempDir()).undo;
  // The servers take PORT+2 and PORT+3, which another suite may hold: a few tries with new ports.
  for (let attempt = 0; !servers; attempt++) {
    const port = await freePort();
    let idpPort = await freePort();
    while ([port, port + 2, port + 3].includes(idpPort)) idpPort = await freePort();
    served = await serve(
      { PORT: String(port), DEMO_IDP_PORT: String(idpPort), BATON_LOG_LEVEL: 'silent' },
      () => {},
    );
    try {
      servers = await startServers(port);
      await runStory({ port, idpPort, servers, out: (l) => lines.push(l) });
    } catch (e) {
      if ((e as { code?: string }).code !== 'EADDRINUSE' || attempt >= 4) throw e;
      await served.stop();
      served = undefined;
    }
  }
}, 120_000);
afterAll(async () => {
  await servers?.close();
  await served?.stop();
  await undo?.();
});

test('the MCP story runs: tools called, billing refused, hand-off, approval, bound call, completion, refusal', () => {
  const said = (start: string) => lines.find((l) => l.startsWith(start)) ?? `(no line ${start})`;
  expect(said('support-agent started task')).toContain('alice@example.com');
  expect(said('tickets.list_tickets →')).toContain('"agent":"support-agent"');
  expect(said('tickets.add_note (bound call) →')).toContain('"bound":true');
  expect(said('billing as support-agent →')).toContain('invalid_target');
  expect(said('billing.get_invoice →')).toContain('"agent":"billing-agent"');
  expect(lines.some((l) => l.includes("waiting for a person's approval of refund"))).toBe(true);
  expect(said('billing.refund (bound call, approved) →')).toContain('"bound":true');
  expect(said('support-agent completed the task')).toMatch(/\d+ tokens ended/);
  expect(said('MCP sessions ended:')).toContain('billing: revoked');
  expect(said('billing.get_invoice after completion →')).toContain('refused');
});
