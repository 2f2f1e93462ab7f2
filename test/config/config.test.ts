import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULTS } from '../../src/config/defaults.js';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { longestTaskSeconds } from '../../src/config/task-lifetime.js';
import { makeUpstream, rawTestConfig } from '../support/fixtures.js';

const write = (name: string, text: string) => {
  const p = join(mkdtempSync(join(tmpdir(), 'baton-cfg-')), name);
  writeFileSync(p, text);
  return p;
};

describe('configuration', () => {
  test('loads a YAML file and fills the documented defaults', async () => {
    const raw = rawTestConfig(await makeUpstream());
    delete raw.port;
    const c = loadConfigFile(write('baton.yaml', stringify(raw)), {});
    expect(c.port).toBe(8080);
    expect(c.defaults).toEqual({
      taskTtlSeconds: 900,
      taskMaxSeconds: 86400,
      toolTokenTtlSeconds: 300,
      maxDepth: 4,
      purposeMaxLength: 500,
    });
    expect(c.store.kind).toBe('memory');
  });

  test('an absent or empty section is filled from DEFAULTS, the one place defaults live', async () => {
    const raw = rawTestConfig(await makeUpstream());
    for (const k of ['store', 'keys', 'policy', 'approvals', 'audit', 'defaults']) delete raw[k];
    raw.audit = {};
    const c = parseConfig(raw);
    expect({
      store: c.store,
      keys: c.keys,
      policy: c.policy,
      approvals: c.approvals,
      audit: c.audit,
      defaults: c.defaults,
    }).toEqual({
      store: {
        kind: DEFAULTS.storeKind,
        prefix: DEFAULTS.redisPrefix,
        requestTimeoutMs: DEFAULTS.storeRequestTimeoutMs,
        pingTimeoutMs: DEFAULTS.storePingTimeoutMs,
        taskIndexShards: DEFAULTS.taskIndexShards,
      },
      keys: { dir: DEFAULTS.keysDir, alg: DEFAULTS.keyAlg, generateIfMissing: false },
      policy: { watch: DEFAULTS.policyWatch },
      approvals: {
        intervalSeconds: DEFAULTS.approvalIntervalSeconds,
        ttlSeconds: DEFAULTS.approvalTtlSeconds,
        maxPendingPerTask: DEFAULTS.approvalMaxPendingPerTask,
        maxPendingPerAgent: DEFAULTS.approvalMaxPendingPerAgent,
      },
      audit: {
        taskMaxEvents: DEFAULTS.auditTaskMaxEvents,
        globalMaxEvents: DEFAULTS.auditGlobalMaxEvents,
        maxAgeSeconds: DEFAULTS.auditMaxAgeSeconds,
        taskMaxRefusals: DEFAULTS.auditTaskMaxRefusals,
        globalMaxRefusals: DEFAULTS.auditGlobalMaxRefusals,
        refusalBurst: DEFAULTS.auditRefusalBurst,
        refusalWindowSeconds: DEFAULTS.auditRefusalWindowSeconds,
      },
      defaults: {
        taskTtlSeconds: DEFAULTS.taskTtlSeconds,
        taskMaxSeconds: DEFAULTS.taskMaxSeconds,
        toolTokenTtlSeconds: DEFAULTS.toolTokenTtlSeconds,
        maxDepth: DEFAULTS.maxDepth,
        purposeMaxLength: DEFAULTS.purposeMaxLength,
      },
    });
  });

  test('store budgets are configured, and a budget under 1 ms is refused with its path', async () => {
    const raw = rawTestConfig(await makeUpstream());
    raw.store = { requestTimeoutMs: 250, pingTimeoutMs: 100 };
    expect(parseConfig(raw).store).toMatchObject({ requestTimeoutMs: 250, pingTimeoutMs: 100 });
    raw.store = { requestTimeoutMs: 0 };
    expect(() => parseConfig(raw)).toThrow(/store\.requestTimeoutMs/);
  });

  test('loads the same config from JSON', async () => {
    const raw = rawTestConfig(await makeUpstream());
    expect(loadConfigFile(write('baton.json', JSON.stringify(raw)), {}).agents).toHaveLength(4);
  });

  test('env overrides PORT, BATON_ISSUER, REDIS_URL and the log level', async () => {
    const raw = rawTestConfig(await makeUpstream());
    const c = loadConfigFile(write('b.yaml', stringify(raw)), {
      PORT: '9999',
      BATON_ISSUER: 'https://baton.example.com',
      REDIS_URL: 'redis://127.0.0.1:6390',
      BATON_LOG_LEVEL: 'warn',
    });
    expect(c).toMatchObject({
      port: 9999,
      issuer: 'https://baton.example.com',
      logLevel: 'warn',
      store: { kind: 'redis', url: 'redis://127.0.0.1:6390' },
    });
  });

  test('a bad environment variable is named, never blamed on the file (every problem at once)', async () => {
    const path = write('b.yaml', stringify(rawTestConfig(await makeUpstream())));
    let caught: unknown;
    try {
      loadConfigFile(path, { PORT: 'abc', LOG_LEVEL: 'chatty', REDIS_URL: 'localhost:6379' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      'PORT ("abc"): is not a port number (an integer from 0 to 65535)',
      'LOG_LEVEL ("chatty"): is not a log level (fatal, error, warn, info, debug, trace, silent)',
      'REDIS_URL: is not a redis:// or rediss:// URL',
    ]);
    expect((caught as Error).message).toContain('(environment variables)');
    expect((caught as Error).message).not.toContain(path);
  });

  test("a relative policy.cedarFile is resolved against the config file's folder", async () => {
    const raw = rawTestConfig(await makeUpstream());
    raw.policy = { cedarFile: 'policies/baton.cedar' };
    const path = write('baton.yaml', stringify(raw));
    expect(loadConfigFile(path, {}).policy.cedarFile).toBe(
      join(path, '..', 'policies', 'baton.cedar'),
    );
    raw.policy = { cedarFile: '/etc/baton/baton.cedar' };
    expect(loadConfigFile(write('baton.yaml', stringify(raw)), {}).policy.cedarFile).toBe(
      '/etc/baton/baton.cedar',
    );
  });

  test('upstream JWKS fetching: documented defaults, each configurable, bad values refused', async () => {
    const raw = rawTestConfig(await makeUpstream());
    expect(parseConfig(raw).upstreamJwks).toEqual({
      timeoutMs: DEFAULTS.upstreamJwksTimeoutMs,
      cooldownMs: DEFAULTS.upstreamJwksCooldownMs,
      maxAgeMs: DEFAULTS.upstreamJwksMaxAgeMs,
      warnIntervalSeconds: DEFAULTS.upstreamJwksWarnIntervalSeconds,
    });
    raw.upstreamJwks = { timeoutMs: 250, cooldownMs: 0, maxAgeMs: 1000, warnIntervalSeconds: 5 };
    expect(parseConfig(raw).upstreamJwks).toEqual(raw.upstreamJwks);
    raw.upstreamJwks = { timeoutMs: 0 };
    expect(() => parseConfig(raw)).toThrow(/upstreamJwks\.timeoutMs/);
  });

  test('a bad file names every bad field by its path and why', async () => {
    const raw = rawTestConfig(await makeUpstream()) as {
      agents: Record<string, unknown>[];
      tools: Record<string, unknown>[];
      issuer: unknown;
    };
    raw.issuer = 'not a url';
    raw.agents[0]!.handOffTo = ['nobody'];
    (raw.agents[1]!.auth as Record<string, unknown>).secretHash = 'plaintext';
    raw.agents[2]!.tools = { 'https://tools.test/unknown': { scopes: ['x'] } };
    try {
      parseConfig(raw);
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^issuer: /m);
      expect(problems).toMatch(/agents\.1\.auth\.secretHash/);
      expect((e as ConfigError).message).toContain('invalid configuration');
    }
  });

  test('cross-field rules: unknown hand-off target, tool scope the tool does not understand, duplicate ids', async () => {
    const raw = rawTestConfig(await makeUpstream()) as { agents: Record<string, unknown>[] };
    raw.agents[0]!.handOffTo = ['nobody'];
    raw.agents[1]!.tools = { 'https://tools.test/billing': { scopes: ['billing:delete'] } };
    raw.agents[3]!.id = 'support-agent';
    expect(() => parseConfig(raw)).toThrow(/agents\.0\.handOffTo\.0: unknown agent nobody/);
    expect(() => parseConfig(raw)).toThrow(
      /agents\.1\.tools\.https:\/\/tools\.test\/billing\.scopes: scope billing:delete/,
    );
    expect(() => parseConfig(raw)).toThrow(/agents\.3\.id: duplicate agent id/);
  });

  test('two spellings of one resource URI are refused (RFC 3986 §6.2.2), and so is a fragment', async () => {
    const raw = rawTestConfig(await makeUpstream()) as { tools: Record<string, unknown>[] };
    raw.tools[1]!.resource = 'HTTPS://Tools.Test:443/tickets';
    expect(() => parseConfig(raw)).toThrow(
      /tools\.1\.resource: HTTPS:\/\/Tools\.Test:443\/tickets is the same URI as https:\/\/tools\.test\/tickets/,
    );
    raw.tools[1]!.resource = 'https://tools.test/billing#x';
    expect(() => parseConfig(raw)).toThrow(/tools\.1\.resource: a resource is an absolute URI/);
  });

  test('HMAC algorithms cannot be configured for a trusted issuer (RFC 8725 §2.1)', async () => {
    const raw = rawTestConfig(await makeUpstream()) as {
      trustedIssuers: Record<string, unknown>[];
    };
    raw.trustedIssuers[0]!.algorithms = ['HS256'];
    expect(() => parseConfig(raw)).toThrow(/trustedIssuers\.0\.algorithms\.0/);
  });

  test('several trusted issuers each need a subject prefix', async () => {
    const raw = rawTestConfig(await makeUpstream()) as {
      trustedIssuers: Record<string, unknown>[];
    };
    raw.trustedIssuers.push({ ...raw.trustedIssuers[0]!, issuer: 'https://other-idp.test' });
    expect(() => parseConfig(raw)).toThrow(/trustedIssuers\.0\.subjectPrefix: required/);
  });

  test('an unreadable file and unknown fields are refused', async () => {
    expect(() => loadConfigFile('/nonexistent/baton.yaml', {})).toThrow(ConfigError);
    const raw = { ...rawTestConfig(await makeUpstream()), surprise: true };
    expect(() => parseConfig(raw)).toThrow(/surprise/);
  });

  test('taskMaxSeconds is configurable, at least taskTtlSeconds, and what longestTaskSeconds says', async () => {
    const raw = rawTestConfig(await makeUpstream());
    const c = parseConfig({ ...raw, defaults: { taskTtlSeconds: 600, taskMaxSeconds: 7200 } });
    expect(longestTaskSeconds(c)).toBe(7200);
    expect(() =>
      parseConfig({ ...raw, defaults: { taskTtlSeconds: 600, taskMaxSeconds: 300 } }),
    ).toThrow(/defaults\.taskMaxSeconds: must be at least defaults\.taskTtlSeconds/);
  });
});
