/**
 * The demo exactly as `npm start` runs it with no BATON_CONFIG (src/cli/serve.ts), in process:
 * embedded IdP, memory store, dev keys generated on first start (into ./keys: the test runs in a
 * temp directory), the banner printed once through `out`. Then docs/walkthrough.md with the demo's
 * own credentials (src/demo/cast.ts): the banner's curl -> task -> tool token -> refusal ->
 * hand-off -> sub-agent tool token -> introspection -> refused hand-off -> admin tree -> complete.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { serve, type Served } from '../../src/cli/serve.js';
import { DEMO, demoResources } from '../../src/demo/cast.js';
import { TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import {
  bannerCurl,
  demoExchange,
  demoIntrospect,
  freePort,
  inTempDir,
  postComplete,
  type DemoAgent,
} from '../support/story.js';
import { basic } from '../support/fixtures.js';

const run = promisify(execFile);

let served: Served | undefined;
let url: string;
let issuer: string;
let port: number;
let idpPort: number;
let dir: string;
let undoCwd: (() => Promise<void>) | undefined;
const printed: string[] = [];

beforeAll(async () => {
  const tmp = await inTempDir();
  dir = tmp.dir;
  undoCwd = tmp.undo;
  port = await freePort();
  do idpPort = await freePort();
  while (idpPort === port);
  served = await serve(
    { PORT: String(port), DEMO_IDP_PORT: String(idpPort), BATON_LOG_LEVEL: 'silent' },
    (s) => printed.push(s),
  );
  url = served.url;
  issuer = served.baton.ctx.config.issuer;
});
afterAll(async () => {
  await served?.stop();
  await undoCwd?.();
});

const ok = async (agent: DemoAgent, fields: Record<string, string>) => {
  const r = await demoExchange(url, agent, fields);
  if (r.status !== 200)
    throw new Error(`${agent} exchange failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
};

describe('the demo (`npm start`, no BATON_CONFIG)', () => {
  it('serves Baton on PORT (loopback) with issuer http://localhost:PORT and the memory store', async () => {
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(issuer).toBe(`http://localhost:${port}`);
    expect(served!.baton.ctx.config.store.kind).toBe('memory');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const meta = (await (
      await fetch(`${url}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(issuer);
  });

  it('generates its dev signing key into ./keys on first start', () => {
    expect(
      readdirSync(path.join(dir, 'keys')).filter((f) => f.endsWith('.json')).length,
    ).toBeGreaterThan(0);
  });

  it("prints the banner once, marked demo-only, listing every agent and secret, both tools with their resource servers' credentials, the admin key and the curl command", () => {
    expect(printed).toHaveLength(1);
    const banner = printed[0]!;
    expect(banner).toContain('demo-only');
    expect(banner).toContain(issuer);
    for (const [agent, secret] of Object.entries(DEMO.agents)) {
      expect(banner).toContain(agent);
      expect(banner).toContain(secret);
    }
    const resources = demoResources(port);
    for (const [name, t] of Object.entries(DEMO.tools)) {
      expect(banner).toContain(resources[name as keyof typeof resources]);
      expect(banner).toContain(t.rs);
      expect(banner).toContain(t.secret);
    }
    expect(banner).toContain(DEMO.adminKey);
    const curl = bannerCurl(banner);
    expect(curl).toContain(`http://127.0.0.1:${idpPort}/token`);
    expect(curl).toContain(DEMO.user.username);
  });

  describe('the README story with the demo credentials', () => {
    let user: string;
    let task: string;
    let tickets: string;
    let delegated: string;
    let billing: string;

    it("the banner's curl command, run in a shell, returns alice's access token for Baton from the embedded IdP", async () => {
      // Async execFile: a sync child would block this process, and with it the in-process IdP.
      const { stdout } = await run('sh', ['-c', bannerCurl(printed[0]!)], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      const body = JSON.parse(stdout) as Record<string, unknown>;
      expect(body.token_type).toBe('Bearer');
      user = String(body.access_token);
      expect(decodeJwt(user)).toMatchObject({
        iss: `http://127.0.0.1:${idpPort}`,
        aud: issuer,
        sub: DEMO.user.username,
      });
    });

    it('support-agent starts a task from it (task token: aud = Baton, act = support-agent)', async () => {
      task = await ok('support-agent', {
        subject_token: user,
        subject_token_type: TOKEN_TYPE_ACCESS,
        audience: issuer,
        purpose: 'help alice with her invoice',
      });
      expect(decodeJwt(task)).toMatchObject({
        aud: issuer,
        sub: DEMO.user.username,
        client_id: 'support-agent',
        act: { sub: 'support-agent' },
      });
    });

    it('support-agent gets a tool token for tickets', async () => {
      tickets = await ok('support-agent', {
        subject_token: task,
        resource: demoResources(port).tickets,
        scope: 'tickets:read',
      });
      expect(decodeJwt(tickets)).toMatchObject({
        aud: demoResources(port).tickets,
        scope: 'tickets:read',
        txn: decodeJwt(task).txn,
      });
    });

    it('support-agent is refused the billing tool: invalid_target', async () => {
      const r = await demoExchange(url, 'support-agent', {
        subject_token: task,
        resource: demoResources(port).billing,
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_target');
    });

    it('billing-agent takes the task over (act = {billing-agent, act: {support-agent}})', async () => {
      delegated = await ok('billing-agent', { subject_token: task, audience: issuer });
      expect(decodeJwt(delegated)).toMatchObject({
        txn: decodeJwt(task).txn,
        client_id: 'billing-agent',
        act: { sub: 'billing-agent', act: { sub: 'support-agent' } },
      });
    });

    it('billing-agent gets a billing tool token, which billing-rs introspects active', async () => {
      billing = await ok('billing-agent', {
        subject_token: delegated,
        resource: demoResources(port).billing,
        scope: 'billing:read',
      });
      const r = await demoIntrospect(url, 'billing', billing);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        active: true,
        aud: demoResources(port).billing,
        client_id: 'billing-agent',
        act: { sub: 'billing-agent', act: { sub: 'support-agent' } },
      });
      expect((await demoIntrospect(url, 'tickets', tickets)).body).toMatchObject({
        active: true,
        aud: demoResources(port).tickets,
      });
    });

    it('nobody may hand work to ops-agent: taking the task from either holder is invalid_request', async () => {
      for (const subject of [delegated, task]) {
        const r = await demoExchange(url, 'ops-agent', {
          subject_token: subject,
          audience: issuer,
        });
        expect(r.status).toBe(400);
        expect(r.body.error).toBe('invalid_request');
        expect(String(r.body.error_description)).toContain('ops-agent');
      }
    });

    it("the admin API with the demo admin key shows the task's delegation tree (task -> tickets tool token, hand-off -> billing tool token)", async () => {
      const txn = decodeJwt(task).txn as string;
      const res = await fetch(`${url}/admin/tasks/${txn}`, {
        headers: { authorization: `Bearer ${DEMO.adminKey}` },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        task: Record<string, unknown>;
        tokens: {
          jti: string;
          client_id: string;
          aud: string;
          state: string;
          children: { jti: string; aud: string; children: { jti: string }[] }[];
        }[];
      };
      expect(body.task).toMatchObject({
        txn,
        owner: 'support-agent',
        status: 'open',
        purpose: 'help alice with her invoice',
      });
      expect(body.tokens).toHaveLength(1);
      const root = body.tokens[0]!;
      expect(root).toMatchObject({
        jti: decodeJwt(task).jti,
        client_id: 'support-agent',
        aud: issuer,
        state: 'active',
      });
      expect(new Set(root.children.map((c) => c.jti))).toEqual(
        new Set([decodeJwt(tickets).jti, decodeJwt(delegated).jti]),
      );
      const hand = root.children.find((c) => c.jti === decodeJwt(delegated).jti)!;
      expect(hand.children.map((c) => c.jti)).toEqual([decodeJwt(billing).jti]);
    });

    it('the admin API refuses a request without the admin key (401)', async () => {
      const txn = decodeJwt(task).txn as string;
      expect((await fetch(`${url}/admin/tasks/${txn}`)).status).toBe(401);
    });

    it('support-agent completes the task; every tool token then introspects inactive and the task token no longer exchanges', async () => {
      const txn = decodeJwt(task).txn as string;
      const r = await postComplete(
        url,
        txn,
        { outcome: 'succeeded', summary: 'invoice explained' },
        { authorization: basic('support-agent', DEMO.agents['support-agent']) },
      );
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'completed', tokens_ended: 4, already_ended: false });
      expect((await demoIntrospect(url, 'tickets', tickets)).body).toEqual({ active: false });
      expect((await demoIntrospect(url, 'billing', billing)).body).toEqual({ active: false });
      const again = await demoExchange(url, 'support-agent', {
        subject_token: task,
        resource: demoResources(port).tickets,
      });
      expect(again.body.error).toBe('invalid_request');
    });
  });

  it('stop() shuts Baton and the embedded IdP down: neither port answers any more', async () => {
    const s = served!;
    served = undefined;
    await s.stop();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${idpPort}/jwks`)).rejects.toThrow();
  });
});
