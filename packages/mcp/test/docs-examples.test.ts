/**
 * The copy-paste examples of docs/protect-an-mcp-server.md and docs/call-mcp-tools.md run as
 * written against a live Baton: their example names are mapped to the test cast's, the imports
 * are handed in, and the server's `listen(3000)` takes a free port instead.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import realExpress from 'express';
import { parse, readPage } from '../../../test/docs/markdown.js';
import { ISSUER, SECRETS, TICKETS } from '../../../test/support/index.js';
import { type BatonMcpOptions, batonMcp } from '../src/adapters/express.js';
import { batonTransport } from '../src/index.js';
import { type LiveMcp, liveMcp, ORIGIN } from './live-mcp.js';

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<void>;

/** The page's `ts` block: under 20 lines, its imports cut (the test passes them in). */
function example(page: string): string {
  const block = parse(readPage(page)).blocks.find((b) => b.lang === 'ts');
  const lines = (block?.body ?? '').trim().split('\n');
  expect(lines.length).toBeLessThan(20);
  return (
    lines
      .filter((l) => !l.startsWith('import '))
      .join('\n')
      // TypeScript's non-null assertions, which a JavaScript function cannot read.
      .replace(/(process\.env\.\w+)!/g, '$1')
      .replaceAll("'https://baton.example.com'", JSON.stringify(ISSUER))
      .replaceAll("'https://tools.example.com/tickets'", JSON.stringify(TICKETS))
  );
}

let w: LiveMcp;
beforeAll(async () => {
  w = await liveMcp();
});
afterAll(() => w.close());

test('docs/protect-an-mcp-server.md: the server runs, refuses no token, and asks bound calls', async () => {
  let server: Server | undefined;
  const express = () => {
    const app = realExpress();
    app.listen = (() => {
      server = realExpress().use(app).listen(0, '127.0.0.1');
      return server;
    }) as typeof app.listen;
    return app;
  };
  let made: ReturnType<typeof batonMcp> | undefined;
  const wrapped = (o: Parameters<typeof batonMcp>[0] & BatonMcpOptions) => {
    made = batonMcp({ ...o, batonUrl: w.b.url, publicOrigin: ORIGIN });
    return made;
  };
  const env = { TICKETS_RS_SECRET: SECRETS['tickets-rs'] };
  await new AsyncFunction(
    'express',
    'McpServer',
    'batonMcp',
    'process',
    example('docs/protect-an-mcp-server.md'),
  )(express, McpServer, wrapped, { env });
  try {
    if (!server || !made) throw new Error('the example did not listen');
    const listening = server;
    await new Promise((r) => listening.once('listening', r));
    await made.verifier.ready();
    const url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}/tickets`;
    const post = (authorization?: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'add_note', arguments: {} },
        }),
      });
    const none = await post();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('resource_metadata=');
    const agent = await w.agent('support-agent');
    const task = await agent.startTask(
      await w.up.userToken({ scope: 'tickets:read tickets:write' }),
    );
    const unbound = await post(`Bearer ${(await task.tokenFor(TICKETS)).token}`);
    expect(unbound.status).toBe(403);
    expect(await unbound.text()).toContain('requires a token bound to the call');
  } finally {
    await made?.close();
    await new Promise((r) => server?.close(r));
  }
});

test('docs/call-mcp-tools.md: the agent calls a tool with a bound token and completes', async () => {
  const printed: unknown[] = [];
  let txn: string | undefined;
  const createAgent = async (o: { dpop?: boolean }) => {
    const agent = await w.agent('support-agent', { dpop: o.dpop === true });
    return {
      ...agent,
      startTask: async (...a: Parameters<typeof agent.startTask>) => {
        const t = await agent.startTask(...a);
        txn = t.txn;
        return t;
      },
    };
  };
  const env = {
    AGENT_SECRET: SECRETS['support-agent'],
    USER_TOKEN: await w.up.userToken({ scope: 'tickets:read tickets:write' }),
  };
  await new AsyncFunction(
    'createAgent',
    'batonTransport',
    'Client',
    'process',
    'console',
    example('docs/call-mcp-tools.md'),
  )(createAgent, batonTransport, Client, { env }, { log: (v: unknown) => printed.push(v) });
  const out = JSON.parse((printed[0] as { content: { text: string }[] }).content[0]?.text ?? '{}');
  expect(out).toMatchObject({
    id: 'T-1',
    note: 'done',
    by: { agent: 'support-agent', txn, kind: 'DPoP' },
  });
});
