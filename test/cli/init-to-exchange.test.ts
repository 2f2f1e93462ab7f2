/**
 * From nothing to one exchange with a generated config (docs/deploy.md): `baton init` for an
 * IdP found by OpenID discovery, `baton config check` clean, `baton serve`, a user token
 * exchanged for a task token and a tool token, the tool's resource server introspecting it,
 * and `baton tasks list` showing the task with the generated admin key.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  basic,
  makeUpstream,
  postForm,
  runBaton,
  spawnBaton,
  stopAllBatons,
  type Upstream,
} from '../support/index.js';

const BATON = 'http://127.0.0.1:8080';
const TOOL = 'https://tools.test/api';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

let dir: string;
let idp: Server;
let up: Upstream;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'baton-init-'));
  let issuer = '';
  idp = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url === '/.well-known/openid-configuration')
      return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    res.end(JSON.stringify({ keys: [up.jwk] }));
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  up = await makeUpstream(issuer);
});
afterAll(async () => {
  await stopAllBatons();
  await new Promise((r) => idp.close(r));
  await rm(dir, { recursive: true, force: true });
});

test('init → config check → serve → one exchange end to end, with the secrets init printed', async () => {
  const init = await runBaton([
    'init',
    '--issuer',
    up.issuer,
    '--baton-url',
    BATON,
    '--tool',
    TOOL,
    '--tool-name',
    'api',
    '--scopes',
    'api:read api:write',
    '--dir',
    dir,
    '--json',
  ]);
  expect({ code: init.code, stderr: init.stderr }).toEqual({ code: 0, stderr: '' });
  const out = JSON.parse(init.stdout) as {
    files: { config: string; policy: string; key: string };
    agent: { client_id: string; client_secret: string };
    resource_server: { client_id: string; client_secret: string };
    admin_key: string;
  };
  expect(statSync(out.files.config).mode & 0o077).toBe(0);
  expect(statSync(out.files.key).mode & 0o077).toBe(0);
  expect(existsSync(out.files.policy)).toBe(true);

  const check = await runBaton(['config', 'check', out.files.config]);
  expect(check.stdout).not.toMatch(/^(error|warning)/m);
  expect(check.code).toBe(0);

  const baton = await spawnBaton(out.files.config);
  const agent = { authorization: basic(out.agent.client_id, out.agent.client_secret) };
  const subject = await up.userToken({ aud: BATON, scope: 'api:read' });
  const task = await postForm(
    `${baton.url}/token`,
    {
      grant_type: TOKEN_EXCHANGE,
      subject_token: subject,
      subject_token_type: ACCESS_TOKEN,
      audience: BATON,
      purpose: 'first exchange',
    },
    agent,
  );
  expect(task.status).toBe(200);
  const tool = await postForm(
    `${baton.url}/token`,
    {
      grant_type: TOKEN_EXCHANGE,
      subject_token: task.body.access_token as string,
      subject_token_type: ACCESS_TOKEN,
      resource: TOOL,
    },
    agent,
  );
  expect(tool.status).toBe(200);
  expect(tool.body.scope).toBe('api:read');
  const intro = await postForm(
    `${baton.url}/introspect`,
    { token: tool.body.access_token as string },
    { authorization: basic(out.resource_server.client_id, out.resource_server.client_secret) },
  );
  expect(intro.body).toMatchObject({ active: true, aud: TOOL, scope: 'api:read' });

  const listed = await runBaton(['tasks', 'list', '--json'], {
    BATON_URL: baton.url,
    BATON_ADMIN_KEY: out.admin_key,
  });
  expect(listed.code).toBe(0);
  const tasks = (JSON.parse(listed.stdout) as { tasks: { owner: string; purpose: string }[] })
    .tasks;
  expect(tasks).toEqual([
    expect.objectContaining({ owner: 'my-agent', purpose: 'first exchange' }),
  ]);
  await baton.stop();
}, 90_000);

test('init does not overwrite a config without --force, and a script must give --issuer (exit 2)', async () => {
  const again = await runBaton(['init', '--issuer', up.issuer, '--dir', dir]);
  expect(again.code).toBe(2);
  expect(again.stderr).toContain('exists; pass --force');
  const noIssuer = await runBaton(['init', '--dir', path.join(dir, 'other')]);
  expect(noIssuer.code).toBe(2);
  expect(noIssuer.stderr).toContain('--issuer is required');
  expect(existsSync(path.join(dir, 'other'))).toBe(false);
});

test('the human output prints each secret once and the next steps', async () => {
  const d = path.join(dir, 'human');
  const r = await runBaton(['init', '--issuer', up.issuer, '--dir', d]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Secrets, shown this once');
  expect(r.stdout).toContain(`baton config check ${path.join(d, 'baton.yaml')}`);
  const secret = /agent my-agent:\s+(\S+)/.exec(r.stdout)?.[1] ?? '';
  expect(secret.length).toBeGreaterThanOrEqual(43);
  expect(r.stdout.split(secret)).toHaveLength(2);
});
