/**
 * MCP with Baton end to end: the SDK's real client and server, a real Baton. Bearer and DPoP,
 * tokens of another server or of the task refused, bound calls (other arguments refused,
 * reordered keys accepted), sessions ended by revocation, and the 401 that points at metadata.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { BILLING, ISSUER, SECRETS, TICKETS } from '../../../test/support/index.js';
import { batonMcp } from '../src/adapters/express.js';
import { batonAuthProvider, batonTransport, bearerTokenVerifier } from '../src/index.js';
import { eventually, type LiveMcp, liveMcp, ORIGIN, ticketsServer } from './live-mcp.js';

let w: LiveMcp;
beforeAll(async () => {
  w = await liveMcp();
});
afterAll(() => w.close());

const text = (r: unknown) =>
  JSON.parse((r as { content: { text: string }[] }).content[0]?.text ?? 'null') as Record<
    string,
    unknown
  >;

async function connect(task: Parameters<typeof batonTransport>[0], url: string, perCall = false) {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(batonTransport(task, url, { perCall }));
  return client;
}

/** A raw JSON-RPC POST to the tickets server (what a client without Baton would send). */
function rpc(token: string | undefined, body: unknown, session?: string) {
  return w.fetch(TICKETS, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body: JSON.stringify(body),
  });
}

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
};
const call = (name: string, args: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name, arguments: args },
});

async function rawSession(token: string): Promise<string> {
  const r = await rpc(token, INIT);
  expect(r.status).toBe(200);
  await r.text();
  const id = r.headers.get('mcp-session-id') ?? '';
  (await rpc(token, { jsonrpc: '2.0', method: 'notifications/initialized' }, id)).body?.cancel();
  return id;
}

describe('MCP servers behind Baton', () => {
  test('no token: 401 whose challenge names the RFC 9728 metadata, which points at Baton', async () => {
    const r = await rpc(undefined, INIT);
    expect(r.status).toBe(401);
    const challenge = r.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain(
      `resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/tickets"`,
    );
    const md = await w.fetch(`${ORIGIN}/.well-known/oauth-protected-resource/tickets`);
    expect(await md.json()).toMatchObject({ resource: TICKETS, authorization_servers: [ISSUER] });
  });

  test('a bearer task calls a tool; the handler reads Baton principal from req.auth', async () => {
    const agent = await w.agent('support-agent');
    const task = await agent.startTask(
      await w.up.userToken({ scope: 'tickets:read tickets:write' }),
    );
    const client = await connect(task, TICKETS);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'add_note',
      'list_tickets',
    ]);
    const out = text(await client.callTool({ name: 'list_tickets', arguments: {} }));
    expect(out.by).toMatchObject({ agent: 'support-agent', txn: task.txn, kind: 'Bearer' });
    await client.close();
  });

  test('a DPoP-bound task calls a tool with a proof on every request', async () => {
    const agent = await w.agent('support-agent', { dpop: true });
    const task = await agent.startTask(
      await w.up.userToken({ scope: 'tickets:read tickets:write' }),
    );
    const client = await connect(task, TICKETS);
    const out = text(await client.callTool({ name: 'list_tickets', arguments: {} }));
    expect(out.by).toMatchObject({ kind: 'DPoP' });
    await client.close();
  });

  test("refuses another server's token and a task token (invalid_token)", async () => {
    const agent = await w.agent('billing-agent');
    const task = await agent.startTask(
      await w.up.userToken({ scope: 'billing:read tickets:read' }),
    );
    const billingToken = (await task.tokenFor(BILLING)).token;
    for (const token of [billingToken, task.taskToken]) {
      const r = await rpc(token, INIT);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  test('a tool that needs a bound call refuses an unbound token; per-call mode binds it', async () => {
    const agent = await w.agent('support-agent', { dpop: true });
    const task = await agent.startTask(
      await w.up.userToken({ scope: 'tickets:read tickets:write' }),
    );
    const plain = await connect(task, TICKETS);
    await expect(
      plain.callTool({ name: 'add_note', arguments: { id: 'T-1', note: 'hi' } }),
    ).rejects.toThrow();
    await plain.close();
    const bound = await connect(task, TICKETS, true);
    const out = text(
      await bound.callTool({ name: 'add_note', arguments: { id: 'T-1', note: 'hi' } }),
    );
    expect(out).toMatchObject({ id: 'T-1', note: 'hi' });
    await bound.close();
  });

  test('a bound token runs its call with keys reordered, and no call with other arguments', async () => {
    const agent = await w.agent('support-agent');
    const task = await agent.startTask(
      await w.up.userToken({ scope: 'tickets:read tickets:write' }),
    );
    const session = await rawSession((await task.tokenFor(TICKETS)).token);
    const bound = await task.tokenFor(TICKETS, {
      toolCall: { action: 'add_note', arguments: { id: 'T-1', note: 'a' } },
    });
    const other = await rpc(bound.token, call('add_note', { id: 'T-2', note: 'a' }), session);
    expect(other.status).toBe(403);
    expect(other.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const reordered = await rpc(bound.token, call('add_note', { note: 'a', id: 'T-1' }), session);
    expect(reordered.status).toBe(200);
    expect(await reordered.text()).toContain('T-1');
    // Nor does it list tools: a bound token runs its one call.
    const list = await rpc(bound.token, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, session);
    expect(list.status).toBe(403);
  });

  test('a tool call lacking its scope gets one challenge naming every scope it needs', async () => {
    const agent = await w.agent('support-agent');
    const task = await agent.startTask(await w.up.userToken({ scope: 'tickets:read' }));
    const token = (await task.tokenFor(TICKETS)).token;
    const session = await rawSession(token);
    const r = await rpc(token, call('add_note', { id: 'T-1', note: 'a' }), session);
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('scope="tickets:write"');
  });

  test('completing the task ends its MCP session, and the next call fails', async () => {
    const agent = await w.agent('support-agent');
    const task = await agent.startTask(
      await w.up.userToken({ scope: 'tickets:read tickets:write' }),
    );
    const client = await connect(task, TICKETS);
    await client.callTool({ name: 'list_tickets', arguments: {} });
    const before = w.ended.length;
    await task.complete('succeeded');
    expect(await eventually(() => w.ended.slice(before).some((e) => e.why === 'revoked'))).toBe(
      true,
    );
    await expect(client.callTool({ name: 'list_tickets', arguments: {} })).rejects.toThrow();
    await client.close().catch(() => {});
  });

  test('a session belongs to its task: a token of another task is refused on it', async () => {
    const agent = await w.agent('support-agent');
    const user = await w.up.userToken({ scope: 'tickets:read tickets:write' });
    const [one, two] = [await agent.startTask(user), await agent.startTask(user)];
    const session = await rawSession((await one.tokenFor(TICKETS)).token);
    const other = await rpc((await two.tokenFor(TICKETS)).token, call('list_tickets', {}), session);
    expect(other.status).toBe(403);
    expect(await other.text()).toContain('another task');
    const own = await rpc((await one.tokenFor(TICKETS)).token, call('list_tickets', {}), session);
    expect(own.status).toBe(200);
    await own.text();
  });

  test('sessions are bounded: an initialize beyond maxSessions gets 503 and opens nothing', async () => {
    const small = batonMcp({ verifier: w.tickets.verifier, maxSessions: 1 });
    const server = express().use(small.router('/tickets', ticketsServer)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tickets`;
    try {
      const agent = await w.agent('support-agent');
      const task = await agent.startTask(await w.up.userToken({ scope: 'tickets:read' }));
      const token = (await task.tokenFor(TICKETS)).token;
      const init = () =>
        fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify(INIT),
        });
      const first = await init();
      expect(first.status).toBe(200);
      await first.text();
      const second = await init();
      expect(second.status).toBe(503);
      await second.text();
    } finally {
      await small.close();
      await new Promise((r) => server.close(r));
    }
  });

  test("a host with only the SDK's authProvider: the SDK exchanges the task token itself", async () => {
    const agent = await w.agent('support-agent');
    const task = await agent.startTask(await w.up.userToken({ scope: 'tickets:read' }));
    const seen: string[] = [];
    const watched: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      seen.push(`${init?.method ?? 'GET'} ${new URL(url).host}${new URL(url).pathname}`);
      return w.fetch(input, init);
    };
    const authProvider = await batonAuthProvider(task, {
      issuer: ISSUER,
      resource: TICKETS,
      clientId: 'support-agent',
      clientSecret: SECRETS['support-agent'],
      fetch: watched,
    });
    const client = new Client({ name: 'host', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(TICKETS), { authProvider, fetch: watched }),
    );
    const out = text(await client.callTool({ name: 'list_tickets', arguments: {} }));
    expect(out.by).toMatchObject({ agent: 'support-agent', txn: task.txn, kind: 'Bearer' });
    // Baton's metadata came from the provider; the SDK went to /token only, never discovering.
    expect(seen.filter((s) => s.startsWith('POST baton.test'))).toEqual(['POST baton.test/token']);
    expect(seen.some((s) => s.includes('/.well-known/oauth-protected-resource'))).toBe(false);
    await client.close();
  });

  test("the SDK's requireBearerAuth takes bearer tokens through bearerTokenVerifier", async () => {
    const app = express().post(
      '/tickets',
      requireBearerAuth({ verifier: bearerTokenVerifier(w.tickets.verifier) }),
      (req, res) => {
        res.json({ client: req.auth?.clientId, resource: String(req.auth?.resource) });
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tickets`;
    try {
      const agent = await w.agent('support-agent');
      const task = await agent.startTask(await w.up.userToken({ scope: 'tickets:read' }));
      const ok = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${(await task.tokenFor(TICKETS)).token}` },
      });
      expect(await ok.json()).toEqual({ client: 'support-agent', resource: TICKETS });
      const bad = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${task.taskToken}` },
      });
      expect(bad.status).toBe(401);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
