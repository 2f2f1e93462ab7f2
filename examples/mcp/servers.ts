/**
 * The example's two MCP servers (the SDK's McpServer over Streamable HTTP) behind `batonMcp`:
 * tickets at `PORT`+2 and billing at `PORT`+3, the demo cast's tools (src/demo/cast.ts).
 */
import type { Server } from 'node:http';
import { principalOfAuth } from '@baton/mcp';
import { batonMcp } from '@baton/mcp/express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import express from 'express';
import { z } from 'zod';
import { DEMO, demoResources } from '../../src/demo/cast.js';

type Extra = { authInfo?: Parameters<typeof principalOfAuth>[0] };
const reply = (value: unknown) => ({
  content: [{ type: 'text' as const, text: JSON.stringify(value) }],
});
/** Who is calling, as the tool sees it: the agent acting now and the task. */
const by = (extra: Extra) => {
  const p = principalOfAuth(extra.authInfo);
  return { agent: p?.actors[0], for: p?.sub, bound: p?.toolCall !== undefined };
};

function ticketsServer(): McpServer {
  const s = new McpServer({ name: 'tickets', version: '1.0.0' });
  s.registerTool('list_tickets', { description: 'Open tickets' }, (extra) =>
    reply({ tickets: [{ id: 'T-1', title: 'Charged twice for invoice INV-7' }], ...by(extra) }),
  );
  s.registerTool(
    'add_note',
    { description: 'Adds a note to a ticket', inputSchema: { id: z.string(), note: z.string() } },
    ({ id, note }, extra) => reply({ id, note, ...by(extra) }),
  );
  return s;
}

function billingServer(): McpServer {
  const s = new McpServer({ name: 'billing', version: '1.0.0' });
  s.registerTool(
    'get_invoice',
    { description: 'One invoice', inputSchema: { invoice: z.string() } },
    ({ invoice }, extra) => reply({ invoice, amount: 42, charged: 2, ...by(extra) }),
  );
  s.registerTool(
    'refund',
    { description: 'Refunds a charge', inputSchema: { invoice: z.string(), amount: z.number() } },
    ({ invoice, amount }, extra) => reply({ refunded: { invoice, amount }, ...by(extra) }),
  );
  return s;
}

export interface ExampleServers {
  tickets: string;
  billing: string;
  /** Sessions ended, and why (`revoked` when their task ended). */
  ended: string[];
  close(): Promise<void>;
}

/** Starts both servers for the demo Baton on `port` (its issuer `http://localhost:PORT`). */
export async function startServers(port: number, batonUrl?: string): Promise<ExampleServers> {
  const issuer = `http://localhost:${port}`;
  const resources = demoResources(port);
  const ended: string[] = [];
  const serve = async (tool: 'tickets' | 'billing', make: () => McpServer, tools = {}) => {
    const t = DEMO.tools[tool];
    const baton = batonMcp({
      issuer,
      ...(batonUrl ? { batonUrl } : {}),
      resource: resources[tool],
      credentials: { clientId: t.rs, clientSecret: t.secret },
      tools,
      onSessionEnded: (_id, why) => ended.push(`${tool}: ${why}`),
    });
    const app = express().use(baton.router(t.path, make));
    // Express 5 hands a listen error (EADDRINUSE) to the callback.
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(port + t.portOffset, '127.0.0.1', (e?: Error) =>
        e ? reject(e) : resolve(s),
      );
    }).catch(async (e: unknown) => {
      await baton.close();
      throw e;
    });
    await baton.verifier.ready();
    return async () => {
      await baton.close();
      await new Promise((r) => server.close(r));
    };
  };
  const closers = await Promise.allSettled([
    serve('tickets', ticketsServer, {
      list_tickets: { scope: 'tickets:read' },
      add_note: { scope: 'tickets:write', requireBound: true },
    }),
    serve('billing', billingServer, {
      get_invoice: { scope: 'billing:read' },
      refund: { scope: 'billing:refund', requireBound: true },
    }),
  ]);
  const failed = closers.find((c) => c.status === 'rejected');
  if (failed) {
    // One started and the other did not (its port is taken): stop the one, report the other.
    await Promise.all(closers.map((c) => (c.status === 'fulfilled' ? c.value() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  const stops = closers.map((c) => (c as PromiseFulfilledResult<() => Promise<void>>).value);
  return {
    tickets: resources.tickets,
    billing: resources.billing,
    ended,
    close: async () => {
      await Promise.all(stops.map((c) => c()));
    },
  };
}
