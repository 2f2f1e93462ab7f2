/**
 * `baton policy check` with the configuration (its answer matches the server's), `baton keys`
 * (documented defaults, saying what they did), and the program itself: help, --version, a
 * mistyped command naming the commands there are.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { DEFAULTS } from '../../src/config/defaults.js';
import {
  BILLING,
  makeUpstream,
  rawTestConfig,
  runBaton,
  stopAllBatons,
  TICKETS,
} from '../support/index.js';

let dir: string;
let configPath: string;
const POLICY = `@id("start-task") permit (principal, action == Baton::Action::"start_task", resource);
@id("tools") permit (principal, action == Baton::Action::"exchange", resource);`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'baton-cli-pk-'));
  await writeFile(path.join(dir, 'policy.cedar'), POLICY);
  const raw = rawTestConfig(await makeUpstream());
  raw.policy = { cedarFile: 'policy.cedar' };
  raw.keys = { dir: path.join(dir, 'config-keys'), alg: 'EdDSA' };
  configPath = path.join(dir, 'baton.yaml');
  await writeFile(configPath, stringify(raw));
});
afterAll(async () => {
  await stopAllBatons();
  await rm(dir, { recursive: true, force: true });
});

describe('policy check with --config', () => {
  test('a tool the agent may not use: the Cedar file alone says ALLOW, the config says DENY', async () => {
    const ask = ['--agent', 'isolated-agent', '--tool', BILLING, '--scope', 'billing:read'];
    const alone = await runBaton(['policy', 'check', path.join(dir, 'policy.cedar'), ...ask]);
    expect(alone.stdout).toContain('ALLOW');
    const withConfig = await runBaton(['policy', 'check', '--config', configPath, ...ask]);
    expect(withConfig.code).toBe(1);
    expect(withConfig.stdout).toContain(
      `DENY: isolated-agent exchange ${BILLING} — agent isolated-agent may not use ${BILLING} (rule agents[isolated-agent].tools) (config, before Cedar)`,
    );
  });

  test('an allowed call: the tool by name, the scopes the server would grant', async () => {
    const r = await runBaton(
      ['policy', 'check', '--agent', 'support-agent', '--tool', 'tickets', '--json'],
      { BATON_CONFIG: configPath },
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      answer: {
        allow: boolean;
        rule: string;
        request: { resource: { id: string }; context: { scopes: string[] } };
      };
    };
    expect(out.answer).toMatchObject({ allow: true, rule: 'tools' });
    expect(out.answer.request.resource.id).toBe(TICKETS);
    expect(out.answer.request.context.scopes).toEqual(['tickets:read', 'tickets:write']);
  });

  test('unknown agents, tools and actions are refused (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['--agent', 'nobody'], 'unknown agent "nobody"; configured: support-agent'],
      [
        ['--agent', 'support-agent', '--tool', 'mail'],
        'unknown tool "mail"; configured: tickets, billing',
      ],
      [
        ['--agent', 'support-agent', '--action', 'fly'],
        '--action must be start_task, exchange or hand_off (got "fly")',
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runBaton(['policy', 'check', '--config', configPath, ...args]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 2,
        stderr: expect.stringContaining(message),
      });
    }
  });
});

describe('keys', () => {
  test('list says there are none; generate reads the config; a rotation waits the documented lead', async () => {
    const keysDir = path.join(dir, 'config-keys');
    const empty = await runBaton(['keys', 'list', '--config', configPath]);
    expect(empty.stdout.trim()).toBe(
      `no keys in ${keysDir} (create one with: baton keys generate --dir ${keysDir})`,
    );
    const first = await runBaton(['keys', 'generate', '--config', configPath, '--json']);
    const k1 = JSON.parse(first.stdout) as {
      alg: string;
      dir: string;
      activate_at: number;
      rotation: boolean;
    };
    expect(k1).toMatchObject({ alg: 'EdDSA', dir: keysDir, rotation: false });
    expect(Math.abs(k1.activate_at - Date.now() / 1000)).toBeLessThan(60);
    const second = await runBaton(['keys', 'generate', '--config', configPath, '--json']);
    const k2 = JSON.parse(second.stdout) as { activate_at: number; rotation: boolean };
    expect(k2.rotation).toBe(true);
    expect(k2.activate_at - k1.activate_at).toBeGreaterThanOrEqual(
      DEFAULTS.keyPublishLeadSeconds - 60,
    );
    const listed = await runBaton(['keys', 'list', '--config', configPath]);
    expect(listed.stdout).toMatch(/signing/);
    expect(listed.stdout).toMatch(/staged/);
    expect(listed.stdout.trim().split('\n').at(-1)).toBe(`2 keys in ${keysDir}`);
    const pruned = await runBaton(['keys', 'prune', '--config', configPath]);
    expect(pruned.stdout.trim()).toBe(`removed 0, kept 2 published keys in ${keysDir}`);
  });

  test('the rotation lead covers the JWKS cache and the key re-read', () => {
    expect(DEFAULTS.keyPublishLeadSeconds).toBeGreaterThanOrEqual(
      DEFAULTS.jwksMaxAgeSeconds + DEFAULTS.keysReloadMs / 1000,
    );
  });
});

describe('the program', () => {
  test('bare baton prints help and starts nothing (exit 0)', async () => {
    const r = await runBaton([], {}, 15_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: baton');
    expect(r.stdout).toMatch(/^ {2}tasks /m);
    expect(r.stdout).not.toContain('listening');
  });

  test('--version prints the package version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } }))
      .default as { version: string };
    const r = await runBaton(['--version']);
    expect(r.stdout.trim()).toBe(version);
  });

  test('a mistyped command names the nearest and every command there is, in one line (exit 2)', async () => {
    const r = await runBaton(['taks', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("baton: unknown command 'taks' (Did you mean tasks?)");
    expect(r.stderr).toContain('the commands are: serve, init, config, tasks, agents');
    const sub = await runBaton(['approvals', 'aprove', 'x']);
    expect(sub.stderr).toContain('the commands of approvals are: list, approve, deny');
  });
});
