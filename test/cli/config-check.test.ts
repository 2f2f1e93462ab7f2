/**
 * `baton config check [FILE]`: one line per finding, exit code by the worst (0 clean, 5 warnings,
 * 1 errors): schema with the field's path and the nearest valid name, key file modes, Cedar,
 * each trusted issuer's JWKS (a real HTTP server), Redis (the shared test server).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { generateKeyFile } from '../../src/keys/keyset.js';
import { editDistance, nearestName } from '../../src/cli/config-check/nearest.js';
import {
  makeUpstream,
  rawTestConfig,
  runBaton,
  stopAllBatons,
  testRedisUrl,
  type Upstream,
} from '../support/index.js';

let dir: string;
let up: Upstream;
let jwksServer: Server;
let jwksUri: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'baton-check-'));
  up = await makeUpstream();
  jwksServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [up.jwk] }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});
afterAll(async () => {
  await stopAllBatons();
  await new Promise((r) => jwksServer.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** A config on disk: the test cast, its issuer's JWKS served over HTTP, a key dir of its own. */
async function writeConfig(name: string, patch: (raw: Record<string, unknown>) => void = () => {}) {
  const keys = path.join(dir, `${name}-keys`);
  await generateKeyFile(keys, 'ES256');
  const raw = rawTestConfig(up);
  raw.issuer = 'http://127.0.0.1:8080';
  (raw.trustedIssuers as Record<string, unknown>[])[0] = {
    issuer: up.issuer,
    jwksUri,
    audience: raw.issuer,
    algorithms: ['ES256'],
  };
  raw.keys = { dir: keys };
  patch(raw);
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, stringify(raw));
  return { file, keys };
}

type Finding = { severity: string; path: string; message: string };
async function check(file: string) {
  const r = await runBaton(['config', 'check', file, '--json']);
  const out = JSON.parse(r.stdout) as { findings: Finding[]; errors: number; warnings: number };
  return { code: r.code, ...out };
}

test('a sound config: every probe ok, exit 0', async () => {
  const { file } = await writeConfig('sound');
  const r = await check(file);
  expect(r.findings.filter((f) => f.severity !== 'ok')).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.findings.map((f) => f.path)).toEqual(
    expect.arrayContaining(['schema', 'keys.dir', 'trustedIssuers.0.jwksUri', 'store']),
  );
});

test('a typo names the field path and the nearest valid name; other errors keep their paths', async () => {
  const { file } = await writeConfig('typo', (raw) => {
    (raw.policy as unknown) = { cedarFlie: 'x.cedar' };
    ((raw.agents as Record<string, unknown>[])[0] as Record<string, unknown>).taskScope = [];
    raw.port = 'eighty';
  });
  const r = await runBaton(['config', 'check', file]);
  expect(r.code).toBe(1);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toEqual(
    expect.arrayContaining([
      'error   policy.cedarFlie: unknown field; did you mean cedarFile?',
      'error   agents.0.taskScope: unknown field; did you mean taskScopes?',
      expect.stringMatching(/^error {3}port: /),
    ]),
  );
  expect(lines.at(-1)).toBe(`${file}: 3 errors, 0 warnings`);
});

test('a key file readable by others is an error naming the chmod', async () => {
  const { file, keys } = await writeConfig('modes');
  const { readdirSync } = await import('node:fs');
  const keyFile = path.join(keys, readdirSync(keys)[0]!);
  await chmod(keyFile, 0o644);
  const r = await check(file);
  expect(r.code).toBe(1);
  expect(r.findings).toContainEqual({
    severity: 'error',
    path: 'keys.dir',
    message: `${keyFile} holds a private key and is readable by others (mode 0644); chmod 600 ${keyFile}`,
  });
});

test('an invalid Cedar file, an unreachable JWKS and an unreachable Redis are each an error', async () => {
  const cedar = path.join(dir, 'bad.cedar');
  await writeFile(cedar, 'permit (principal, action == Baton::Action::"fly", resource);');
  const { file } = await writeConfig('probes', (raw) => {
    raw.policy = { cedarFile: cedar };
    (raw.trustedIssuers as Record<string, unknown>[])[0]!.jwksUri = 'http://127.0.0.1:9/jwks';
    raw.store = { kind: 'redis', url: 'redis://127.0.0.1:9', pingTimeoutMs: 500 };
  });
  const r = await check(file);
  expect(r.code).toBe(1);
  const errorsAt = r.findings.filter((f) => f.severity === 'error').map((f) => f.path);
  expect(errorsAt).toEqual(
    expect.arrayContaining(['policy.cedarFile', 'trustedIssuers.0.jwksUri', 'store']),
  );
  expect(r.findings.find((f) => f.path === 'store')!.message).toContain('127.0.0.1:9');
});

test('the shared Redis reachable is ok; a config without admin keys is a warning: exit 5', async () => {
  const { file } = await writeConfig('warn', (raw) => {
    raw.store = { kind: 'redis', url: testRedisUrl() };
    delete raw.admin;
  });
  const r = await check(file);
  expect(r.findings).toContainEqual({ severity: 'ok', path: 'store', message: 'Redis reachable' });
  expect(r.findings.filter((f) => f.severity === 'warning').map((f) => f.path)).toEqual(['admin']);
  expect(r.code).toBe(5);
});

test('no file named is a usage error (exit 2)', async () => {
  const r = await runBaton(['config', 'check']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('give FILE, --config or BATON_CONFIG');
});

test('the nearest name: a typo within a third of its length, else none', () => {
  expect(editDistance('cedarFlie', 'cedarFile')).toBe(2);
  expect(nearestName('trustedIssuer', ['trustedIssuers', 'tools'])).toBe('trustedIssuers');
  expect(nearestName('zzzz', ['issuer', 'port'])).toBeUndefined();
});
