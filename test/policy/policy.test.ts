import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { hashSecret } from '../../src/auth/secrets.js';
import {
  ADMIN_KEY,
  BILLING,
  ISSUER,
  TICKETS,
  exchange,
  introspectAs,
  makeUpstream,
  startBaton,
  testConfig,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

/**
 * Cedar on top of the config ceilings, over real HTTP: decisions name their rule, refusals carry
 * the code of what they refused, the policy reloads under a running server, and introspection
 * re-decides live tokens (continuous authorization).
 */
const BASE = `
@id("start") permit (principal, action == Baton::Action::"start_task", resource);
@id("hand-off") permit (principal, action == Baton::Action::"hand_off", resource) when { context.depth <= 3 };
@id("tickets") permit (principal, action == Baton::Action::"exchange", resource) when { resource.name == "tickets" };
@id("billing-own-tenant") permit (principal, action == Baton::Action::"exchange", resource)
  when { resource.name == "billing" && principal has tenant && context.user has tenant && principal.tenant == context.user.tenant };
@id("no-export") forbid (principal, action == Baton::Action::"exchange", resource) when { context.scopes.contains("billing:export") };
`;
const NO_TICKETS = BASE.replace('@id("tickets") permit', '@id("tickets-closed") forbid');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

describe('Cedar policy in the exchange', () => {
  let up: Upstream;
  let b: RunningBaton;
  let file: string;

  beforeAll(async () => {
    up = await makeUpstream();
    file = join(mkdtempSync(join(tmpdir(), 'baton-policy-')), 'policy.cedar');
    writeFileSync(file, BASE);
    b = await startBaton(
      testConfig(up, (raw) => {
        raw.policy = { cedarFile: file, watch: true };
        const agents = raw.agents as {
          id: string;
          attributes?: unknown;
          tools: Record<string, { scopes: string[] }>;
          taskScopes: string[];
        }[];
        const billing = agents.find((a) => a.id === 'billing-agent')!;
        billing.attributes = { tenant: 'acme' };
        billing.tools[BILLING] = { scopes: ['billing:read', 'billing:export'] };
        billing.taskScopes.push('billing:export');
      }),
    );
  });
  afterAll(() => b.close());
  beforeEach(async () => {
    if (readFileSync(file, 'utf8') !== BASE) {
      writeFileSync(file, BASE);
      await b.baton.reload();
    }
  });

  const billingTask = async (tenant: string) => {
    const user = await up.userToken({
      scope: 'tickets:read billing:read billing:export',
      extra: { tenant },
    });
    const r = await exchange(b.url, 'billing-agent', { subject_token: user, audience: ISSUER });
    expect(r.status).toBe(200);
    return r.body.access_token as string;
  };

  test("a condition on a user claim: billing for the agent's own tenant is permitted, naming the rule in the audit", async () => {
    const t = await billingTask('acme');
    const r = await exchange(b.url, 'billing-agent', {
      subject_token: t,
      resource: BILLING,
      scope: 'billing:read',
    });
    expect(r.status).toBe(200);
    await b.baton.ctx.audit.flush();
    const ev = (await (
      await fetch(`${b.url}/admin/tasks/${decodeJwt(t).txn}/events`, { headers: admin })
    ).json()) as { events: { type: string; rule?: string }[] };
    expect(ev.events.find((e) => e.type === 'token_issued')?.rule).toContain(
      'cedar:billing-own-tenant',
    );
  });

  test("another tenant's user: no policy permits -> invalid_target naming cedar:no-permit", async () => {
    const r = await exchange(b.url, 'billing-agent', {
      subject_token: await billingTask('globex'),
      resource: BILLING,
      scope: 'billing:read',
    });
    expect(r.body.error).toBe('invalid_target');
    expect(String(r.body.error_description)).toContain('cedar:no-permit');
  });

  test('forbid wins over permit, and a refused scope is invalid_scope naming the forbid', async () => {
    const r = await exchange(b.url, 'billing-agent', {
      subject_token: await billingTask('acme'),
      resource: BILLING,
      scope: 'billing:read billing:export',
    });
    expect(r.body.error).toBe('invalid_scope');
    expect(String(r.body.error_description)).toContain('no-export');
  });

  test('the config ceiling is checked first: a tool the agent may not use is refused by config before Cedar', async () => {
    const user = await up.userToken();
    const t = (await exchange(b.url, 'support-agent', { subject_token: user, audience: ISSUER }))
      .body.access_token as string;
    const r = await exchange(b.url, 'support-agent', { subject_token: t, resource: BILLING });
    expect(r.body.error).toBe('invalid_target');
    expect(String(r.body.error_description)).toContain('agents[support-agent].tools');
  });

  test('hand-off conditions on depth: refused past depth 3 with invalid_request naming the rule', async () => {
    let t = (
      await exchange(b.url, 'support-agent', {
        subject_token: await up.userToken(),
        audience: ISSUER,
      })
    ).body.access_token as string;
    t = (await exchange(b.url, 'billing-agent', { subject_token: t, audience: ISSUER })).body
      .access_token as string;
    t = (await exchange(b.url, 'support-agent', { subject_token: t, audience: ISSUER })).body
      .access_token as string;
    const r = await exchange(b.url, 'billing-agent', { subject_token: t, audience: ISSUER });
    expect(r.body.error).toBe('invalid_request');
    expect(String(r.body.error_description)).toContain('cedar:no-permit');
  });

  test('hot reload: the next exchange follows the new file; a broken file leaves the old rules in force', async () => {
    const task = (
      await exchange(b.url, 'support-agent', {
        subject_token: await up.userToken(),
        audience: ISSUER,
      })
    ).body.access_token as string;
    expect(
      (await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })).status,
    ).toBe(200);
    const before = (await (await fetch(`${b.url}/readyz`)).json()) as { policy_version: string };

    writeFileSync(file, NO_TICKETS);
    let refused: Awaited<ReturnType<typeof exchange>> | undefined;
    for (let i = 0; i < 60; i++) {
      refused = await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS });
      if (refused.status !== 200) break;
      await sleep(50);
    }
    expect(refused!.body.error).toBe('invalid_target');
    expect(String(refused!.body.error_description)).toContain('tickets-closed');
    const after = (await (await fetch(`${b.url}/readyz`)).json()) as { policy_version: string };
    expect(after.policy_version).not.toBe(before.policy_version);

    writeFileSync(file, 'this is not cedar @@@');
    await sleep(400);
    await b.baton.reload();
    const still = (await (await fetch(`${b.url}/admin/policy`, { headers: admin })).json()) as {
      cedar: { version: string };
    };
    expect(still.cedar.version).toBe(after.policy_version);
    expect(
      (await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })).body
        .error,
    ).toBe('invalid_target');
  });

  test('continuous authorization: a live tool token for a tool the policy no longer allows introspects inactive at once', async () => {
    const task = (
      await exchange(b.url, 'support-agent', {
        subject_token: await up.userToken(),
        audience: ISSUER,
      })
    ).body.access_token as string;
    const tool = (
      await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })
    ).body.access_token as string;
    expect(await introspectAs(b.url, 'tickets-rs', tool)).toMatchObject({ active: true });
    writeFileSync(file, NO_TICKETS);
    await b.baton.reload();
    expect(await introspectAs(b.url, 'tickets-rs', tool)).toEqual({ active: false });
    writeFileSync(file, BASE);
    await b.baton.reload();
    expect(await introspectAs(b.url, 'tickets-rs', tool)).toMatchObject({ active: true });
  });

  test("continuous authorization uses the context recorded at issue time (the user's tenant)", async () => {
    const t = await billingTask('acme');
    const tool = (
      await exchange(b.url, 'billing-agent', {
        subject_token: t,
        resource: BILLING,
        scope: 'billing:read',
      })
    ).body.access_token as string;
    expect(await introspectAs(b.url, 'billing-rs', tool)).toMatchObject({ active: true });
    writeFileSync(
      file,
      BASE.replace('principal.tenant == context.user.tenant', 'context.user.tenant == "globex"'),
    );
    await b.baton.reload();
    expect(await introspectAs(b.url, 'billing-rs', tool)).toEqual({ active: false });
  });

  test('the decision cache never masks a policy change: same request, new version, new answer', async () => {
    const task = (
      await exchange(b.url, 'support-agent', {
        subject_token: await up.userToken(),
        audience: ISSUER,
      })
    ).body.access_token as string;
    for (let i = 0; i < 3; i++)
      expect(
        (await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })).status,
      ).toBe(200);
    expect(
      b.baton.ctx.policy!.current()!.decide({
        principal: { id: 'support-agent' },
        action: 'exchange',
        resource: { type: 'Tool', id: TICKETS, name: 'tickets' },
        context: {
          scopes: ['tickets:read', 'tickets:write'],
          user: { sub: 'alice@example.com', iss: up.issuer },
          act: ['support-agent'],
          current_actor: 'support-agent',
          depth: 1,
        },
      }).cached,
    ).toBe(true);
    writeFileSync(file, NO_TICKETS);
    await b.baton.reload();
    expect(
      (await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })).body
        .error,
    ).toBe('invalid_target');
  });
});

describe('a policy file that does not validate', () => {
  test('stops the start: nothing runs half-configured', async () => {
    const up = await makeUpstream();
    const file = join(mkdtempSync(join(tmpdir(), 'baton-policy-')), 'bad.cedar');
    writeFileSync(
      file,
      '@id("x") permit (principal, action, resource) when { context.nonsense == 1 };',
    );
    await expect(
      startBaton(testConfig(up, (raw) => (raw.policy = { cedarFile: file, watch: false }))),
    ).rejects.toThrow(/nonsense|invalid Cedar policy/);
  });

  test('an approval annotation makes Cedar require a person for the call', async () => {
    const up = await makeUpstream();
    const file = join(mkdtempSync(join(tmpdir(), 'baton-policy-')), 'appr.cedar');
    writeFileSync(
      file,
      `@id("start") permit (principal, action == Baton::Action::"start_task", resource);
@id("tickets-approved") @approval("required") permit (principal, action == Baton::Action::"exchange", resource) when { resource.name == "tickets" };`,
    );
    const b = await startBaton(
      testConfig(up, (raw) => {
        raw.policy = { cedarFile: file, watch: false };
        (raw.tools as unknown[]).push({
          resource: 'https://tools.test/unused',
          scopes: ['x'],
          resourceServer: {
            clientId: 'unused-rs',
            auth: {
              method: 'client_secret_basic',
              secretHash: hashSecret('unused-rs-secret-0123456789abcdefghijklmnop'),
            },
          },
        });
      }),
    );
    try {
      const task = (
        await exchange(b.url, 'support-agent', {
          subject_token: await up.userToken(),
          audience: ISSUER,
        })
      ).body.access_token as string;
      const r = await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS });
      expect(r.body).toMatchObject({ error: 'authorization_pending' });
    } finally {
      await b.close();
    }
  });
});
