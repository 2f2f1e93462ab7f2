/**
 * Startup errors as a new user meets them: `baton serve` run as a real process, and each
 * error on stderr names the thing at fault (Redis and where, the environment variable, the
 * key file, the config field) in one line, without a stack trace or a secret.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Deployment,
  freePort,
  makeUpstream,
  runBaton,
  spawnBaton,
  stopAllBatons,
  testRedisUrl,
  type Upstream,
  writeDeployment,
} from '../support/index.js';

const EXAMPLE_POLICY = fileURLToPath(
  new URL('../../src/policy/cedar/example.cedar', import.meta.url),
);
const PASSWORD = 's3cret-redis-password';
const STACK_LINE = /^ {4}at /m;

let upstream: Upstream;
const deployments: Deployment[] = [];

/** A deployment on the memory store (nothing reaches Redis) unless a test says otherwise. */
async function deployment(patch: (raw: Record<string, unknown>) => void = () => {}) {
  const d = await writeDeployment(upstream, { url: testRedisUrl(), prefix: 'unused:' }, (raw) => {
    raw.store = { kind: 'memory' };
    patch(raw);
  });
  deployments.push(d);
  return d;
}

/** `baton serve` on a config; resolves when the process has exited. */
async function serve(d: Deployment, env: Record<string, string> = {}) {
  return runBaton(['serve'], { BATON_CONFIG: d.configPath, PORT: '0', ...env });
}

function expectOneCleanLine(stderr: string): void {
  expect(stderr).not.toMatch(STACK_LINE);
  expect(stderr.trim().split('\n')).toHaveLength(1);
}

beforeAll(async () => {
  upstream = await makeUpstream();
});
afterAll(async () => {
  await stopAllBatons();
  await Promise.all(deployments.map((d) => d.remove()));
});

describe('Redis that cannot be reached at start', () => {
  test('names Redis, the URL without its password and ECONNREFUSED; exits non-zero', async () => {
    const dead = await freePort();
    const d = await deployment();
    const r = await serve(d, { REDIS_URL: `redis://user:${PASSWORD}@127.0.0.1:${dead}` });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Redis at redis://user:***@127.0.0.1:${dead}`);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stdout).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain('Connection is closed');
    expectOneCleanLine(r.stderr);
  });

  test('a password Redis refuses is an authentication failure, and is not printed', async () => {
    const u = new URL(testRedisUrl());
    u.username = 'no-such-user';
    u.password = PASSWORD;
    const d = await deployment();
    const r = await serve(d, { REDIS_URL: u.toString() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot connect to Redis at redis:\/\/no-such-user:\*\*\*@/);
    expect(r.stderr).toContain('authentication failed');
    expect(r.stderr).not.toContain(PASSWORD);
    expectOneCleanLine(r.stderr);
  });
});

describe('environment variables are blamed by name, never the config file', () => {
  test.each([
    ['PORT', 'abc', /PORT \("abc"\): is not a port number/],
    ['PORT', '70000', /PORT \("70000"\): is not a port number/],
    ['BATON_LOG_LEVEL', 'loud', /BATON_LOG_LEVEL \("loud"\): is not a log level/],
    ['BATON_ISSUER', 'not a url', /BATON_ISSUER \("not a url"\): is not an http\(s\) URL/],
    ['BATON_WORKERS', 'many', /BATON_WORKERS \("many"\): must be a positive integer or auto/],
  ])('%s=%s', async (name, value, message) => {
    const d = await deployment();
    const r = await serve(d, { [name]: value });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('environment variables');
    expect(r.stderr).not.toContain(d.configPath);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  test('a REDIS_URL that is no Redis URL is named, its value (a password) not echoed', async () => {
    const d = await deployment();
    const r = await serve(d, { REDIS_URL: `http://user:${PASSWORD}@127.0.0.1:6379` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('REDIS_URL: is not a redis:// or rediss:// URL');
    expect(r.stderr).not.toContain(PASSWORD);
  });
});

describe('files the config points at', () => {
  test('a corrupt key file is named, and its content never printed', async () => {
    const d = await deployment();
    const bad = path.join(d.dir, 'keys', 'broken.json');
    await writeFile(bad, '{"kid":"broken","privateJwk":{"d":"PRIVATE-KEY-MATERIAL', {
      mode: 0o600,
    });
    const r = await serve(d);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`key file ${bad} is not valid JSON`);
    expect(r.stderr).not.toContain('PRIVATE-KEY-MATERIAL');
    expectOneCleanLine(r.stderr);
  });

  test('a key file of the wrong shape is named with what it lacks', async () => {
    const d = await deployment();
    const bad = path.join(d.dir, 'keys', 'odd.json');
    await writeFile(bad, JSON.stringify({ kid: 'odd', alg: 'HS256', secret: 'HMAC-MATERIAL' }));
    const r = await serve(d);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`key file ${bad} is not a Baton key file (alg is not`);
    expect(r.stderr).not.toContain('HMAC-MATERIAL');
  });

  test('a missing Cedar file names policy.cedarFile and the path it was resolved to', async () => {
    const d = await deployment((raw) => {
      raw.policy = { cedarFile: 'policies/missing.cedar' };
    });
    const r = await serve(d);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `policy.cedarFile: no file at ${path.join(d.dir, 'policies', 'missing.cedar')}`,
    );
    expect(r.stderr).not.toContain('ENOENT');
    expectOneCleanLine(r.stderr);
  });

  test("a relative cedarFile is read from the config's folder, not the working dir", async () => {
    const d = await deployment((raw) => {
      raw.policy = { cedarFile: 'policies/baton.cedar', watch: false };
    });
    await mkdir(path.join(d.dir, 'policies'));
    await copyFile(EXAMPLE_POLICY, path.join(d.dir, 'policies', 'baton.cedar'));
    // The CLI runs in the repository root, not in d.dir: the path resolves against the config.
    const b = await spawnBaton(d.configPath);
    await b.stop();
    await rm(path.join(d.dir, 'policies'), { recursive: true });
  });
});
