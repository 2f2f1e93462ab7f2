/**
 * The admin console in a real browser (docs/console.md): playwright-core driving Debian's
 * chromium against the running demo (its embedded IdP, its cast). Log in through the IdP and
 * with the admin key; the demo story's task tree; approve a pending deploy and see the agent's
 * poll succeed; revoke a task and see its tokens inactive at introspection; a hostile purpose
 * rendered as text. BATON_SCREENSHOTS=1 saves screenshots into docs/img/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildConsole } from '../../scripts/build-console.js';
import { serve, type Served } from '../../src/cli/serve.js';
import { DEMO } from '../../src/demo/cast.js';
import { basic } from '../support/fixtures.js';
import { demoExchange, demoIntrospect, freePort, inTempDir } from '../support/story.js';

const CHROMIUM = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.BATON_SCREENSHOTS === '1';
const IMG = fileURLToPath(new URL('../../docs/img/', import.meta.url));

let served: Served;
let browser: Browser;
let issuer: string;
let idpPort: number;
let undoCwd: () => Promise<void>;

async function aliceToken(scope: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${idpPort}/token`, {
    method: 'POST',
    headers: {
      authorization: basic('demo-cli', 'demo-cli-secret'),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'password', ...DEMO.user, scope }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function startTask(agent: keyof typeof DEMO.agents, scope: string, purpose: string) {
  const r = await demoExchange(issuer, agent, {
    subject_token: await aliceToken(scope),
    audience: issuer,
    purpose,
  });
  if (r.status !== 200) throw new Error(`task start: ${JSON.stringify(r.body)}`);
  const token = r.body.access_token as string;
  return { token, txn: decodeJwt(token).txn as string };
}

async function shot(page: Page, name: string) {
  if (SHOTS) await page.screenshot({ path: `${IMG}${name}.png`, fullPage: true });
}

/** A browser context signed in with the demo admin key (the break-glass form). */
async function signedInWithKey(): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  const page = await ctx.newPage();
  await page.goto(`${issuer}/console/`);
  await page.getByLabel('Or an admin key (break-glass)').fill(DEMO.adminKey);
  await page.getByRole('button', { name: 'Sign in with the key' }).click();
  await page.getByTestId('who').waitFor();
  return { ctx, page };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium`);
  await buildConsole();
  const tmp = await inTempDir();
  undoCwd = tmp.undo;
  const port = await freePort();
  do idpPort = await freePort();
  while (idpPort === port);
  served = await serve(
    { PORT: String(port), DEMO_IDP_PORT: String(idpPort), BATON_LOG_LEVEL: 'silent' },
    () => {},
  );
  issuer = served.baton.ctx.config.issuer;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await undoCwd?.();
});

test('signs in through the IdP: the ID token role claim makes ada an admin', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${issuer}/console/`);
  await shot(page, 'console-login');
  await page.getByRole('link', { name: 'Sign in with your company IdP' }).click();
  await page.locator('input[name=login]').fill(DEMO.consoleAdmin.username);
  await page.locator('input[name=password]').fill('any (demo IdP)');
  await page.locator('button[type=submit]').click();
  await expectText(page.getByTestId('who'), `${DEMO.consoleAdmin.username} (admin)`);
  const cookies = await ctx.cookies();
  const session = cookies.find((c) => c.name === 'baton_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  expect(cookies.find((c) => c.name === 'baton_login')).toBeUndefined();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('link', { name: 'Sign in with your company IdP' }).waitFor();
  await ctx.close();
});

test('refuses an IdP account without a console role, saying so', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${issuer}/console/`);
  await page.getByRole('link', { name: 'Sign in with your company IdP' }).click();
  await page.locator('input[name=login]').fill(DEMO.user.username);
  await page.locator('input[name=password]').fill(DEMO.user.password);
  await page.locator('button[type=submit]').click();
  await expectText(page.getByRole('alert'), 'no console role');
  expect((await ctx.cookies()).find((c) => c.name === 'baton_session')).toBeUndefined();
  await ctx.close();
});

test("shows the demo story's task tree: user -> support-agent -> hand-off -> billing-agent -> tool", async () => {
  const { token, txn } = await startTask(
    'support-agent',
    'tickets:read tickets:write billing:read',
    'refund ticket 4711',
  );
  const tool = await demoExchange(issuer, 'support-agent', {
    subject_token: token,
    resource: DEMO.tools.tickets.resource,
    scope: 'tickets:read',
  });
  expect(tool.status).toBe(200);
  const handed = await demoExchange(issuer, 'billing-agent', {
    subject_token: token,
    audience: issuer,
  });
  expect(handed.status).toBe(200);
  const billing = await demoExchange(issuer, 'billing-agent', {
    subject_token: handed.body.access_token as string,
    resource: DEMO.tools.billing.resource,
    scope: 'billing:read',
  });
  expect(billing.status).toBe(200);
  const { ctx, page } = await signedInWithKey();
  await page.locator(`tr[data-txn="${txn}"]`).waitFor();
  await shot(page, 'console-tasks');
  await page.locator(`tr[data-txn="${txn}"] a`).click();
  const nodes = page.locator('svg.graph g.node[data-state]');
  await expectCount(nodes, 4);
  expect(await page.locator('svg.graph g.node[data-state="active"]').count()).toBe(4);
  await expectText(page.locator('svg.graph'), 'hand-off');
  await expectText(page.locator('ol.timeline'), 'task_started');
  await shot(page, 'console-task');
  await ctx.close();
});

test("approves a pending deploy with a reason, and the agent's next poll gets the token", async () => {
  const { token } = await startTask('deploy-agent', 'deploy:prod', 'ship release 1.4.2');
  const call = JSON.stringify([
    {
      type: 'tool_call',
      tool: DEMO.tools.deploy.resource,
      action: 'deploy',
      arguments: { service: 'web', version: '1.4.2', note: 'x'.repeat(300) },
    },
  ]);
  const ask = (extra: Record<string, string> = {}) =>
    demoExchange(issuer, 'deploy-agent', {
      subject_token: token,
      resource: DEMO.tools.deploy.resource,
      scope: 'deploy:prod',
      authorization_details: call,
      ...extra,
    });
  const pending = await ask();
  expect(pending.body.error).toBe('authorization_pending');
  const approvalId = pending.body.approval_id as string;
  const { ctx, page } = await signedInWithKey();
  await page.getByRole('link', { name: 'Approvals' }).click();
  const card = page.locator(`article[data-approval="${approvalId}"]`);
  await card.waitFor();
  // The bound call in full: the 300-character argument is all there.
  await expectText(card.getByTestId('arguments'), 'x'.repeat(300));
  await expectText(card, 'ship release 1.4.2');
  await shot(page, 'console-approval');
  await card.getByLabel(/Reason/).fill('release 1.4.2 signed off');
  await card.getByRole('button', { name: 'Approve' }).click();
  await page.getByText(`Approved ${approvalId}`).waitFor();
  let polled = await ask({ approval_id: approvalId });
  for (let i = 0; i < 5 && polled.body.error === 'slow_down'; i++) {
    await new Promise((r) => setTimeout(r, 2100));
    polled = await ask({ approval_id: approvalId });
  }
  expect(polled.status).toBe(200);
  expect(typeof polled.body.access_token).toBe('string');
  await ctx.close();
});

test('revokes a task after a confirmation naming its live tokens; introspection says inactive', async () => {
  const { token, txn } = await startTask('support-agent', 'tickets:read', 'triage ticket 99');
  const tool = await demoExchange(issuer, 'support-agent', {
    subject_token: token,
    resource: DEMO.tools.tickets.resource,
    scope: 'tickets:read',
  });
  const toolToken = tool.body.access_token as string;
  expect((await demoIntrospect(issuer, 'tickets', toolToken)).body.active).toBe(true);
  const { ctx, page } = await signedInWithKey();
  await page.goto(`${issuer}/console/#/task/${encodeURIComponent(txn)}`);
  await page.getByRole('button', { name: /Revoke task/ }).click();
  const dialog = page.getByRole('dialog');
  await expectText(dialog, '2 live token(s) of 2 die at once');
  await shot(page, 'console-revoke');
  await dialog.getByRole('button', { name: 'Revoke task' }).click();
  await expectText(page.getByTestId('task-status'), 'revoked');
  await expectCount(page.locator('svg.graph g.node[data-state="task_ended"]'), 2);
  expect((await demoIntrospect(issuer, 'tickets', toolToken)).body).toEqual({ active: false });
  await ctx.close();
});

test('a hostile purpose is rendered as text, its bidi override shown as ⟨U+202E⟩', async () => {
  const hostile = '<img src=x onerror="document.title=\'pwned\'">\u202Eexe.txt';
  const { txn } = await startTask('support-agent', 'tickets:read', hostile);
  const { ctx, page } = await signedInWithKey();
  await page.goto(`${issuer}/console/#/task/${encodeURIComponent(txn)}`);
  const purpose = page.getByTestId('task-purpose');
  await expectText(purpose, '<img src=x onerror="document.title=\'pwned\'">⟨U+202E⟩exe.txt');
  expect(await page.locator('main img').count()).toBe(0);
  expect(await page.title()).toBe('Baton console');
  await ctx.close();
});

async function expectText(loc: ReturnType<Page['locator']>, text: string) {
  await loc.filter({ hasText: text }).first().waitFor({ timeout: 10_000 });
  expect(await loc.first().textContent()).toContain(text);
}

async function expectCount(loc: ReturnType<Page['locator']>, n: number) {
  for (let i = 0; i < 50 && (await loc.count()) !== n; i++)
    await new Promise((r) => setTimeout(r, 200));
  expect(await loc.count()).toBe(n);
}
