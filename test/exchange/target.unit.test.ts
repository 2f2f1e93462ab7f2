import type { Config } from '../../src/config/schema.js';
import { ToolIndex } from '../../src/auth/clients.js';
import type { BatonContext } from '../../src/context.js';
import type { ExchangeRequest } from '../../src/exchange/request.js';
import { resolveTarget } from '../../src/exchange/target.js';
import { normalizeResourceUri } from '../../src/protocol/resource-uri.js';
import { BILLING, ISSUER, makeUpstream, TICKETS, testConfig } from '../support/fixtures.js';
import { outcome } from '../support/rules.js';

let config: Config;
beforeAll(async () => {
  config = testConfig(await makeUpstream());
});
// resolveTarget reads only the issuer and the tool index of the context.
const resolve = (resources: string[], audiences: string[] = []) => {
  const ctx = { config, tools: new ToolIndex(config.tools) } as Pick<
    BatonContext,
    'config' | 'tools'
  >;
  const req = { resources, audiences } as Pick<ExchangeRequest, 'resources' | 'audiences'>;
  const t = outcome(() => resolveTarget(ctx as BatonContext, req as ExchangeRequest));
  return 'ok' in t ? { ok: t.ok.kind === 'tool' ? t.ok.tool.resource : t.ok.kind } : t;
};

describe('resolveTarget: resource and audience name at most one target', () => {
  test.each([
    {
      rule: 'nothing named is no target (task start)',
      resources: [],
      audiences: [],
      want: { ok: 'none' },
    },
    {
      rule: 'the issuer as audience is Baton',
      resources: [],
      audiences: [ISSUER],
      want: { ok: 'baton' },
    },
    { rule: 'a tool by resource URI', resources: [TICKETS], audiences: [], want: { ok: TICKETS } },
    {
      rule: 'a tool by name as audience',
      resources: [],
      audiences: ['tickets'],
      want: { ok: TICKETS },
    },
    {
      rule: 'one tool named twice, by URI and by name',
      resources: [TICKETS],
      audiences: ['tickets'],
      want: { ok: TICKETS },
    },
    {
      rule: 'two tools are invalid_target',
      resources: [TICKETS, BILLING],
      audiences: [],
      want: { error: 'invalid_target' },
    },
    {
      rule: 'a tool and Baton are invalid_target',
      resources: [TICKETS],
      audiences: [ISSUER],
      want: { error: 'invalid_target' },
    },
    {
      rule: 'an unknown tool is invalid_target',
      resources: ['https://tools.test/unknown'],
      audiences: [],
      want: { error: 'invalid_target' },
    },
    {
      rule: 'RFC 3986 §6.2.2: scheme and host case and the default port are one tool',
      resources: ['HTTPS://Tools.TEST:443/tickets'],
      audiences: [],
      want: { ok: TICKETS },
    },
    {
      rule: 'RFC 3986 §6.2.2.2: a percent-encoded unreserved character is the character',
      resources: ['https://tools.test/%74ickets'],
      audiences: [],
      want: { ok: TICKETS },
    },
    {
      rule: 'another scheme is another URI',
      resources: ['http://tools.test/tickets'],
      audiences: [],
      want: { error: 'invalid_target' },
    },
    {
      rule: 'RFC 8707 §2: a resource with a fragment names no tool',
      resources: [`${TICKETS}#x`],
      audiences: [],
      want: { error: 'invalid_target' },
    },
  ])('$rule', ({ resources, audiences, want }) => {
    expect(resolve(resources, audiences)).toEqual(want);
  });

  test('a trailing slash is another URI (RFC 3986 §6.2.3): refused, naming the configured one', () => {
    const ctx = { config, tools: new ToolIndex(config.tools) } as unknown as BatonContext;
    const req = { resources: [`${TICKETS}/`], audiences: [] } as unknown as ExchangeRequest;
    expect(() => resolveTarget(ctx, req)).toThrow(
      `"${TICKETS}/" is not a tool Baton knows; the configured resource is ${TICKETS} (a trailing slash makes another URI)`,
    );
  });
});

describe('normalizeResourceUri', () => {
  test.each([
    ['HTTPS://A.Example', 'https://a.example/'],
    ['https://a.example:443/x', 'https://a.example/x'],
    ['http://a.example:80/x?q=1', 'http://a.example/x?q=1'],
    ['https://a.example/%7euser/%2f', 'https://a.example/~user/%2F'],
    ['https://a.example/x#frag', undefined],
    ['not a uri', undefined],
  ])('%s → %s', (raw, want) => {
    expect(normalizeResourceUri(raw)).toBe(want);
  });
});
