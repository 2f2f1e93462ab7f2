/**
 * The MCP tests' world: a live Baton of the test cast, two real MCP servers (the SDK's McpServer
 * over Streamable HTTP) behind `batonMcp` — tickets and billing, each at its resource's path —
 * and a fetch that maps the public names (baton.test, tools.test) to their loopback ports.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AgentOptions, createAgent } from '@baton/agent';
import type { DpopPolicy } from '@baton/resource-server';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import express from 'express';
import { z } from 'zod';
import {
  BILLING,
  ISSUER,
  makeUpstream,
  type RunningBaton,
  SECRETS,
  startBaton,
  TICKETS,
  testConfig,
  type Upstream,
} from '../../../test/support/index.js';
import { principalOfAuth } from '../src/index.js';
import { testAgentOn } from '../../agent/test/live-baton.js';
import {
  type BatonMcp,
  batonMcp,
  type SessionEnd,
  type ToolRule,
} from '../src/adapters/express.js';

export const ORIGIN = 'https://tools.test';

/** The tickets server's tools: `list_tickets`, and `add_note`, which needs a bound token. */
export function ticketsServer(): McpServer {
  const s = new McpServer({ name: 'tickets', version: '1.0.0' });
  s.registerTool('list_tickets', { description: 'Open tickets' }, (extra) => ({
    content: [{ type: 'text', text: JSON.stringify({ tickets: ['T-1'], by: who(extra) }) }],
  }));
  s.registerTool(
    'add_note',
    { description: 'Adds a note', inputSchema: { id: z.string(), note: z.string() } },
    ({ id, note }, extra) => ({
      content: [{ type: 'text', text: JSON.stringify({ id, note, by: who(extra) }) }],
    }),
  );
  return s;
}

/** The billing server's tool: `get_invoice`. */
export function billingServer(): McpServer {
  const s = new McpServer({ name: 'billing', version: '1.0.0' });
  s.registerTool(
    'get_invoice',
    { description: 'One invoice', inputSchema: { invoice: z.string() } },
    ({ invoice }, extra) => ({
      content: [{ type: 'text', text: JSON.stringify({ invoice, by: who(extra) }) }],
    }),
  );
  return s;
}

/** What a tool handler reads of Baton's principal: the acting agent, task and token kind. */
function who(extra: { authInfo?: Parameters<typeof principalOfAuth>[0] }) {
  const p = principalOfAuth(extra.authInfo);
  return { agent: p?.actors[0], txn: p?.txn, kind: p?.tokenType, scopes: extra.authInfo?.scopes };
}

export const TICKETS_RULES: Record<string, ToolRule> = {
  list_tickets: { scope: 'tickets:read' },
  add_note: { scope: 'tickets:write', requireBound: true },
};

export interface LiveMcp {
  up: Upstream;
  b: RunningBaton;
  tickets: BatonMcp;
  billing: BatonMcp;
  ended: { id: string; why: SessionEnd }[];
  /** fetch with the public names mapped to loopback. */
  fetch: typeof fetch;
  agent(id: keyof typeof SECRETS, o?: Partial<AgentOptions>): ReturnType<typeof createAgent>;
  close(): Promise<void>;
}

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function liveMcp(o: { dpop?: DpopPolicy } = {}): Promise<LiveMcp> {
  const up = await makeUpstream();
  const b = await startBaton(testConfig(up));
  const ended: LiveMcp['ended'] = [];
  const common = {
    issuer: ISSUER,
    batonUrl: b.url,
    publicOrigin: ORIGIN,
    jwksCooldownSeconds: 0,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    onSessionEnded: (id: string, why: SessionEnd) => ended.push({ id, why }),
    ...(o.dpop ? { dpop: o.dpop } : {}),
  };
  const tickets = batonMcp({
    ...common,
    resource: TICKETS,
    credentials: { clientId: 'tickets-rs', clientSecret: SECRETS['tickets-rs'] },
    tools: TICKETS_RULES,
  });
  const billing = batonMcp({
    ...common,
    resource: BILLING,
    credentials: { clientId: 'billing-rs', clientSecret: SECRETS['billing-rs'] },
    tools: { get_invoice: { scope: 'billing:read' } },
  });
  const tApp = express().use(tickets.router('/tickets', ticketsServer));
  const bApp = express().use(billing.router('/billing', billingServer));
  const [t, bl] = await Promise.all([listen(tApp), listen(bApp)]);
  await Promise.all([tickets.verifier.ready(), billing.verifier.ready()]);
  const routes: [string, string][] = [
    [ISSUER, b.url],
    [TICKETS, `${t.url}/tickets`],
    [BILLING, `${bl.url}/billing`],
    [
      `${ORIGIN}/.well-known/oauth-protected-resource/tickets`,
      `${t.url}/.well-known/oauth-protected-resource/tickets`,
    ],
  ];
  const mapped: typeof fetch = (input, init) => {
    let url = input instanceof Request ? input.url : String(input);
    for (const [from, to] of routes)
      if (url.startsWith(`${from}/`) || url === from || url.startsWith(`${from}?`))
        url = to + url.slice(from.length);
    return fetch(url, init);
  };
  return {
    up,
    b,
    tickets,
    billing,
    ended,
    fetch: mapped,
    agent: testAgentOn(mapped),
    close: async () => {
      await Promise.all([tickets.close(), billing.close()]);
      await Promise.all([
        new Promise((r) => t.server.close(r)),
        new Promise((r) => bl.server.close(r)),
        b.close(),
      ]);
    },
  };
}

/** Polls `f` until it is true (bounded: 10 s); returns its last answer (never a timing assert). */
export async function eventually(f: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return f();
}
