/**
 * The demo story through MCP (docs/call-mcp-tools.md, "The example"): support-agent starts a
 * task for alice, reads and annotates her ticket, is refused billing, hands the task to
 * billing-agent, which reads the invoice and asks for a refund — a bound call a person approves
 * (here the script, as the demo admin) — then the task completes and the next call fails.
 */
import { BatonError, createAgent, type Task } from '@baton/agent';
import { batonTransport, type BatonMcpClientOptions } from '@baton/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { DEMO } from '../../src/demo/cast.js';
import type { ExampleServers } from './servers.js';

export interface StoryOptions {
  /** Baton's port (its issuer is `http://localhost:PORT`); the IdP's. */
  port: number;
  idpPort: number;
  servers: ExampleServers;
  out(line: string): void;
}

const text = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text ?? '';

async function mcp(task: Task, url: string, o: BatonMcpClientOptions = {}): Promise<Client> {
  const client = new Client({ name: 'example-agent', version: '1.0.0' });
  await client.connect(batonTransport(task, url, o));
  return client;
}

/** Alice signs in at the embedded IdP (the banner's curl). */
async function aliceToken(idp: string): Promise<string> {
  const r = await fetch(`${idp}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('demo-cli:demo-cli-secret').toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'password',
      username: DEMO.user.username,
      password: DEMO.user.password,
      scope: 'tickets:read tickets:write billing:read billing:refund',
    }),
  });
  return ((await r.json()) as { access_token: string }).access_token;
}

export async function runStory(o: StoryOptions): Promise<void> {
  const baton = `http://localhost:${o.port}`;
  const { servers, out } = o;
  const agent = (id: 'support-agent' | 'billing-agent') =>
    createAgent({
      issuer: baton,
      clientId: id,
      auth: { secret: DEMO.agents[id] },
      dpop: true,
      allowHttp: true,
      // The person who approves: the demo admin, right away (in real life, the console).
      onPending: (p) => {
        out(
          `  … waiting for a person's approval of ${p.toolCall?.action} (${p.approvalId.slice(0, 8)}…)`,
        );
        void fetch(`${baton}/admin/approvals/${encodeURIComponent(p.approvalId)}/approve`, {
          method: 'POST',
          headers: { authorization: `Bearer ${DEMO.adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ reason: 'refund of a double charge' }),
        }).then(() => out('  ✓ the admin approved it'));
      },
    });

  const support = await agent('support-agent');
  const task = await support.startTask(await aliceToken(`http://127.0.0.1:${o.idpPort}`), {
    purpose: 'refund alice a double charge',
  });
  out(`support-agent started task ${task.txn.slice(0, 8)}… for ${DEMO.user.username}`);

  const tickets = await mcp(task, servers.tickets, { perCall: (name) => name === 'add_note' });
  out(
    `tickets.list_tickets → ${text(await tickets.callTool({ name: 'list_tickets', arguments: {} }))}`,
  );
  const note = { id: 'T-1', note: 'looking into the double charge' };
  out(
    `tickets.add_note (bound call) → ${text(await tickets.callTool({ name: 'add_note', arguments: note }))}`,
  );

  try {
    await mcp(task, servers.billing);
    out('billing: unexpectedly allowed');
  } catch (e) {
    const code = e instanceof BatonError ? e.code : String(e);
    out(`billing as support-agent → refused by Baton: ${code}`);
  }

  const billingAgent = await agent('billing-agent');
  const handed = await billingAgent.acceptHandOff(await task.handOff('billing-agent'));
  out('support-agent handed the task to billing-agent');
  const billing = await mcp(handed, servers.billing, {
    scope: ['billing:read'],
    perCall: (name) => name === 'refund',
    toolScopes: { refund: ['billing:refund'] },
  });
  out(
    `billing.get_invoice → ${text(await billing.callTool({ name: 'get_invoice', arguments: { invoice: 'INV-7' } }))}`,
  );
  const refund = { invoice: 'INV-7', amount: 42 };
  out(
    `billing.refund (bound call, approved) → ${text(await billing.callTool({ name: 'refund', arguments: refund }))}`,
  );

  const done = await task.complete('succeeded', 'refunded the double charge');
  out(`support-agent completed the task: ${done.tokensEnded} tokens ended`);
  const deadline = Date.now() + 10_000;
  while (!servers.ended.some((e) => e.endsWith('revoked')) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 25));
  out(`MCP sessions ended: ${servers.ended.filter((e) => e.endsWith('revoked')).join(', ')}`);
  try {
    await billing.callTool({ name: 'get_invoice', arguments: { invoice: 'INV-7' } });
    out('billing.get_invoice after completion: unexpectedly allowed');
  } catch (e) {
    const code = e instanceof BatonError ? e.code : (e as Error).message.split('\n')[0];
    out(`billing.get_invoice after completion → refused: ${code}`);
  }
  await Promise.all([tickets.close(), billing.close()].map((p) => p.catch(() => {})));
}
