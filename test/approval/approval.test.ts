import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import {
  ADMIN_KEY,
  DEPLOY_TOOL,
  withDeployApproval,
  ISSUER,
  TICKETS,
  exchange,
  introspectAs,
  makeUpstream,
  postJson,
  startBaton,
  startTaskToken,
  testConfig,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

const DEPLOY = DEPLOY_TOOL;
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A webhook receiver on loopback that keeps what it was sent. */
async function startWebhook(): Promise<{
  url: string;
  bodies: { type: string; body: string }[];
  close(): Promise<void>;
  server: Server;
}> {
  const bodies: { type: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push({ type: String(req.headers['content-type']), body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    server,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('human approval for sensitive tool calls', () => {
  let up: Upstream;
  let b: RunningBaton;
  let hook: Awaited<ReturnType<typeof startWebhook>>;

  beforeAll(async () => {
    up = await makeUpstream();
    hook = await startWebhook();
    const config = testConfig(up, (raw) => {
      withDeployApproval(raw, { actions: ['deploy', 'rollback'] });
      raw.approvals = { intervalSeconds: 1, ttlSeconds: 600, webhook: { url: hook.url } };
    });
    b = await startBaton(config);
  });
  afterAll(async () => {
    await b.close();
    await hook.close();
  });

  const task = async () => {
    const r = await exchange(b.url, 'support-agent', {
      subject_token: await up.userToken({ scope: 'tickets:read deploy:prod' }),
      audience: ISSUER,
      purpose: 'ship release 1.2',
    });
    expect(r.status).toBe(200);
    return r.body.access_token as string;
  };
  const details = (action = 'deploy', args: Record<string, unknown> = { version: '1.2.0' }) =>
    JSON.stringify([{ type: 'tool_call', action, arguments: args }]);
  const askDeploy = (subject: string, extra: Record<string, string> = {}) =>
    exchange(b.url, 'support-agent', {
      subject_token: subject,
      resource: DEPLOY,
      authorization_details: details(),
      ...extra,
    });

  async function pending(subject: string): Promise<string> {
    const r = await askDeploy(subject);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'authorization_pending', interval: 1 });
    return r.body.approval_id as string;
  }

  test('pending -> approve -> token carrying the approved authorization details', async () => {
    const t = await task();
    const id = await pending(t);
    const list = await fetch(`${b.url}/admin/approvals`, { headers: admin }).then(
      (r) => r.json() as Promise<{ approvals: Record<string, unknown>[] }>,
    );
    const shown = list.approvals.find((a) => a.id === id)!;
    // The approver sees user, act chain, purpose, tool, scope and the call itself.
    expect(shown).toMatchObject({
      sub: 'alice@example.com',
      act: ['support-agent'],
      purpose: 'ship release 1.2',
      tool: DEPLOY,
      scope: 'deploy:prod',
      status: 'pending',
    });
    expect(shown.authorization_details).toEqual([
      { type: 'tool_call', tool: DEPLOY, action: 'deploy', arguments: { version: '1.2.0' } },
    ]);
    expect(
      (
        await postJson(
          `${b.url}/admin/approvals/${id}/approve`,
          { reason: 'change ticket 7' },
          admin,
        )
      ).status,
    ).toBe(200);
    await sleep(1100);
    const ok = await askDeploy(t, { approval_id: id });
    expect(ok.status).toBe(200);
    expect(ok.body.authorization_details).toEqual([
      { type: 'tool_call', tool: DEPLOY, action: 'deploy', arguments: { version: '1.2.0' } },
    ]);
    expect(decodeJwt(ok.body.access_token as string).authorization_details).toEqual(
      ok.body.authorization_details,
    );
  });

  test('an approval is single-use: the same approval_id cannot buy a second token', async () => {
    const t = await task();
    const id = await pending(t);
    await postJson(`${b.url}/admin/approvals/${id}/approve`, {}, admin);
    await sleep(1100);
    expect((await askDeploy(t, { approval_id: id })).status).toBe(200);
    await sleep(1100);
    const again = await askDeploy(t, { approval_id: id });
    expect(again.body).toMatchObject({ error: 'invalid_request' });
    expect(String(again.body.error_description)).toMatch(/already been used/);
  });

  test('pending -> deny -> access_denied with the reason', async () => {
    const t = await task();
    const id = await pending(t);
    await postJson(
      `${b.url}/admin/approvals/${id}/deny`,
      { reason: 'not during the freeze' },
      admin,
    );
    await sleep(1100);
    const r = await askDeploy(t, { approval_id: id });
    expect(r.body).toMatchObject({ error: 'access_denied' });
    expect(String(r.body.error_description)).toContain('not during the freeze');
  });

  test('polling faster than the interval answers slow_down; at the interval, authorization_pending', async () => {
    const t = await task();
    const id = await pending(t);
    await sleep(1100);
    expect((await askDeploy(t, { approval_id: id })).body.error).toBe('authorization_pending');
    expect((await askDeploy(t, { approval_id: id })).body.error).toBe('slow_down');
  });

  test('an approval for one call cannot be used for another (other arguments, action, tool or task)', async () => {
    const t = await task();
    const id = await pending(t);
    await postJson(`${b.url}/admin/approvals/${id}/approve`, {}, admin);
    await sleep(1100);
    const otherArgs = await exchange(b.url, 'support-agent', {
      subject_token: t,
      resource: DEPLOY,
      authorization_details: details('deploy', { version: '9.9.9' }),
      approval_id: id,
    });
    expect(otherArgs.body.error).toBe('invalid_request');
    const otherAction = await exchange(b.url, 'support-agent', {
      subject_token: t,
      resource: DEPLOY,
      authorization_details: details('rollback'),
      approval_id: id,
    });
    expect(otherAction.body.error).toBe('invalid_request');
    const otherTool = await exchange(b.url, 'support-agent', {
      subject_token: t,
      resource: TICKETS,
      approval_id: id,
    });
    expect(otherTool.body.error).toBe('invalid_request');
    const otherTask = await askDeploy(await task(), { approval_id: id });
    expect(otherTask.body.error).toBe('invalid_request');
    // The approval is still good for the call it was granted for.
    expect((await askDeploy(t, { approval_id: id })).status).toBe(200);
  });

  test('an approval lapses: expired_token', async () => {
    const short = await startBaton(
      testConfig(up, (raw) => {
        const support = (raw.agents as { id: string; tools: Record<string, unknown> }[]).find(
          (a) => a.id === 'support-agent',
        )!;
        support.tools[TICKETS] = { scopes: ['tickets:read'], requireApproval: true };
        raw.approvals = { intervalSeconds: 1, ttlSeconds: 1 };
      }),
    );
    try {
      const t = await startTaskToken(short.url, up);
      const first = await exchange(short.url, 'support-agent', {
        subject_token: t,
        resource: TICKETS,
      });
      expect(first.body.error).toBe('authorization_pending');
      await sleep(2100);
      const r = await exchange(short.url, 'support-agent', {
        subject_token: t,
        resource: TICKETS,
        approval_id: first.body.approval_id as string,
      });
      expect(r.body.error).toBe('expired_token');
    } finally {
      await short.close();
    }
  });

  test('the webhook is called with a JWT signed by Baton that verifies against its JWKS', async () => {
    const t = await task();
    const id = await pending(t);
    const forThis = () =>
      hook.bodies.find((x) => (decodeJwt(x.body).approval as { id: string }).id === id);
    for (let i = 0; i < 60 && !forThis(); i++) await sleep(50);
    const sent = forThis()!;
    expect(sent.type).toBe('application/jwt');
    const { payload, protectedHeader } = await jwtVerify(
      sent.body,
      createRemoteJWKSet(new URL(`${b.url}/jwks`)),
      { issuer: ISSUER, audience: hook.url },
    );
    expect(protectedHeader.typ).toBe('approval+jwt');
    expect(payload.approval).toMatchObject({ id, tool: DEPLOY, status: 'pending' });
    expect(JSON.stringify(payload)).not.toContain(t);
  });

  test('a failing webhook never blocks the exchange', async () => {
    const down = await startBaton(
      testConfig(up, (raw) => {
        const support = (raw.agents as { id: string; tools: Record<string, unknown> }[]).find(
          (a) => a.id === 'support-agent',
        )!;
        support.tools[TICKETS] = { scopes: ['tickets:read'], requireApproval: true };
        raw.approvals = {
          intervalSeconds: 1,
          ttlSeconds: 60,
          webhook: { url: 'http://127.0.0.1:9/nothing-listens-here' },
        };
      }),
    );
    try {
      const r = await exchange(down.url, 'support-agent', {
        subject_token: await startTaskToken(down.url, up),
        resource: TICKETS,
      });
      expect(r.body.error).toBe('authorization_pending');
    } finally {
      await down.close();
    }
  });

  test('decisions need the admin key; a decided approval cannot be decided again', async () => {
    const id = await pending(await task());
    expect((await postJson(`${b.url}/admin/approvals/${id}/approve`, {})).status).toBe(401);
    expect((await postJson(`${b.url}/admin/approvals/${id}/deny`, {}, admin)).status).toBe(200);
    const again = await postJson(`${b.url}/admin/approvals/${id}/approve`, {}, admin);
    expect(again.body.error).toBe('invalid_request');
    expect((await postJson(`${b.url}/admin/approvals/nope.nope/approve`, {}, admin)).status).toBe(
      404,
    );
  });

  test('the audit trail records the request and the decision by whom', async () => {
    const t = await task();
    const id = await pending(t);
    await postJson(`${b.url}/admin/approvals/${id}/approve`, {}, admin);
    const txn = decodeJwt(t).txn as string;
    await b.baton.ctx.audit.flush();
    const ev = (await fetch(`${b.url}/admin/tasks/${txn}/events`, { headers: admin }).then((r) =>
      r.json(),
    )) as { events: { type: string; client?: string; decision: string }[] };
    expect(ev.events.map((e) => e.type)).toEqual([
      'task_started',
      'approval_requested',
      'approval_decided',
    ]);
    expect(ev.events[2]).toMatchObject({ client: 'admin', decision: 'allow' });
  });
});

describe('authorization_details (RFC 9396 tool_call)', () => {
  let up: Upstream;
  let b: RunningBaton;
  beforeAll(async () => {
    up = await makeUpstream();
    b = await startBaton(
      testConfig(up, (raw) => {
        const tickets = (
          raw.tools as { resource: string; actions?: string[]; maxArgumentsBytes?: number }[]
        ).find((t) => t.resource === TICKETS)!;
        tickets.actions = ['comment', 'close'];
        tickets.maxArgumentsBytes = 200;
      }),
    );
  });
  afterAll(() => b.close());

  const ask = async (ad: string) =>
    exchange(b.url, 'support-agent', {
      subject_token: await startTaskToken(b.url, up),
      resource: TICKETS,
      authorization_details: ad,
    });

  test('copied into the token, returned in the token response (§7) and by introspection', async () => {
    const call = [
      {
        type: 'tool_call',
        tool: 'tickets',
        action: 'comment',
        arguments: { ticket: 42, text: 'hi' },
      },
    ];
    const r = await ask(JSON.stringify(call));
    expect(r.status).toBe(200);
    const expected = [
      {
        type: 'tool_call',
        tool: TICKETS,
        action: 'comment',
        arguments: { ticket: 42, text: 'hi' },
      },
    ];
    expect(r.body.authorization_details).toEqual(expected);
    expect(await introspectAs(b.url, 'tickets-rs', r.body.access_token as string)).toMatchObject({
      active: true,
      authorization_details: expected,
    });
  });

  test.each([
    ['not JSON', '{'],
    ['not an array', '{"type":"tool_call"}'],
    ['empty array', '[]'],
    ['unknown type', '[{"type":"payment_initiation","action":"x"}]'],
    ['unknown field', '[{"type":"tool_call","action":"comment","extra":1}]'],
    ['an action the tool does not accept', '[{"type":"tool_call","action":"delete"}]'],
    ['another tool', '[{"type":"tool_call","tool":"billing","action":"comment"}]'],
    [
      'two calls',
      '[{"type":"tool_call","action":"comment"},{"type":"tool_call","action":"close"}]',
    ],
    [
      'arguments over the bound',
      JSON.stringify([
        { type: 'tool_call', action: 'comment', arguments: { text: 'x'.repeat(300) } },
      ]),
    ],
  ])('refuses %s with invalid_authorization_details', async (_name, ad) => {
    const r = await ask(ad);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_authorization_details');
  });

  test('refuses authorization_details outside a tool token request', async () => {
    const r = await exchange(b.url, 'support-agent', {
      subject_token: await up.userToken(),
      audience: ISSUER,
      authorization_details: '[{"type":"tool_call","action":"comment"}]',
    });
    expect(r.body.error).toBe('invalid_authorization_details');
  });
});
