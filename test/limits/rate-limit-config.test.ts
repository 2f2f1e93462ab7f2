/** The rateLimits section and per-client overrides: safe defaults, and refusals of bad values. */
import { DEFAULTS } from '../../src/config/defaults.js';
import { makeUpstream, testConfig, type Upstream } from '../support/fixtures.js';

type Raw = Record<string, unknown>;
let upstream: Upstream;
beforeAll(async () => {
  upstream = await makeUpstream();
});
const parse = (patch: (raw: Raw) => void) => testConfig(upstream, patch);

test('every limit is on by default, with the documented budgets', () => {
  const { rateLimits } = parse(() => {});
  const w = DEFAULTS.rateLimitWindowSeconds;
  expect(rateLimits).toEqual({
    enabled: true,
    agent: { requests: DEFAULTS.rateLimitAgentRequests, windowSeconds: w },
    resourceServer: { requests: DEFAULTS.rateLimitResourceServerRequests, windowSeconds: w },
    feedConnections: { requests: DEFAULTS.rateLimitFeedConnections, windowSeconds: w },
    authFailures: {
      perAddress: { requests: DEFAULTS.rateLimitAuthFailuresPerAddress, windowSeconds: w },
      perClient: { requests: DEFAULTS.rateLimitAuthFailuresPerClient, windowSeconds: w },
    },
    lease: DEFAULTS.rateLimitLease,
    storeTimeoutMs: DEFAULTS.rateLimitStoreTimeoutMs,
  });
});

test('a budget given without a window takes the default window', () => {
  const c = parse((raw) => {
    raw.rateLimits = { agent: { requests: 10 } };
  });
  expect(c.rateLimits.agent).toEqual({ requests: 10, windowSeconds: 60 });
});

test.each([
  ['zero requests', { agent: { requests: 0 } }, /rateLimits\.agent\.requests/],
  [
    'fractional requests',
    { resourceServer: { requests: 1.5 } },
    /rateLimits\.resourceServer\.requests/,
  ],
  [
    'a window past a day',
    { feedConnections: { requests: 1, windowSeconds: 86_401 } },
    /windowSeconds/,
  ],
  ['an unknown field', { agents: { requests: 1 } }, /agents/],
  ['a zero lease', { lease: 0 }, /rateLimits\.lease/],
  [
    'a failure budget without requests',
    { authFailures: { perAddress: {} } },
    /perAddress\.requests/,
  ],
])('refuses %s in rateLimits', (_name, rateLimits, message) => {
  expect(() =>
    parse((raw) => {
      raw.rateLimits = rateLimits;
    }),
  ).toThrow(message);
});

test('refuses a bad per-client override on an agent and on a resource server', () => {
  expect(() =>
    parse((raw) => {
      (raw.agents as Raw[])[0]!.rateLimit = { requests: -1 };
    }),
  ).toThrow(/agents\.0\.rateLimit\.requests/);
  expect(() =>
    parse((raw) => {
      const rs = (raw.tools as Raw[])[0]!.resourceServer as Raw;
      rs.rateLimit = { requests: 5, burst: 2 };
    }),
  ).toThrow(/burst/);
});
