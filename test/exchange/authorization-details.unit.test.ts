import type { ToolConfig } from '../../src/config/schema.js';
import {
  DEFAULT_MAX_ARGUMENT_BYTES,
  MAX_DETAILS_BYTES,
  parseAuthorizationDetails,
} from '../../src/exchange/authorization-details.js';
import { argumentsBytes, argumentsDigest } from '../../src/protocol/tool-call.js';
import { makeUpstream, TICKETS, testConfig } from '../support/fixtures.js';
import { outcome } from '../support/rules.js';

let tool: ToolConfig;
beforeAll(async () => {
  const config = testConfig(await makeUpstream());
  tool = { ...config.tools.find((t) => t.resource === TICKETS)!, actions: ['read', 'comment'] };
});
const parse = (details: unknown) =>
  outcome(() => parseAuthorizationDetails(JSON.stringify(details), tool));
const call = (o: Record<string, unknown> = {}) => [{ type: 'tool_call', action: 'read', ...o }];

describe('parseAuthorizationDetails: RFC 9396 tool_call, one call per token', () => {
  test.each([
    {
      rule: 'the tool defaults to the token’s tool',
      details: call(),
      want: { ok: [{ type: 'tool_call', tool: TICKETS, action: 'read' }] },
    },
    {
      rule: 'the tool may be named by its name',
      details: call({ tool: 'tickets' }),
      want: { ok: [{ type: 'tool_call', tool: TICKETS, action: 'read' }] },
    },
    {
      rule: 'arguments and locations naming the tool are kept',
      details: call({ arguments: { id: 42 }, locations: [TICKETS] }),
      want: {
        ok: [
          {
            type: 'tool_call',
            tool: TICKETS,
            action: 'read',
            arguments: { id: 42 },
            locations: [TICKETS],
          },
        ],
      },
    },
  ])('$rule', ({ details, want }) => {
    expect(parse(details)).toEqual(want);
  });

  test.each([
    { rule: 'an empty array', details: [] },
    { rule: 'two calls in one token', details: [...call(), ...call()] },
    { rule: 'an object instead of an array', details: call()[0] },
    { rule: 'a type other than tool_call', details: call({ type: 'payment' }) },
    { rule: 'an unknown field', details: call({ amount: 1 }) },
    { rule: 'another tool', details: call({ tool: 'https://tools.test/billing' }) },
    { rule: 'an action the tool does not accept', details: call({ action: 'delete' }) },
    {
      rule: 'an action that is not a short identifier',
      details: call({ action: 'read everything' }),
    },
    { rule: 'locations naming something else', details: call({ locations: ['https://x.test/'] }) },
    { rule: 'arguments that are not an object', details: call({ arguments: [1] }) },
    {
      rule: 'arguments over the tool’s byte limit',
      details: call({ arguments: { a: 'x'.repeat(DEFAULT_MAX_ARGUMENT_BYTES) } }),
    },
  ])('refuses $rule (invalid_authorization_details)', ({ details }) => {
    expect(parse(details)).toEqual({ error: 'invalid_authorization_details' });
  });

  test('refuses a value over MAX_DETAILS_BYTES and one that is not JSON', () => {
    const big = 'x'.repeat(MAX_DETAILS_BYTES + 1);
    expect(outcome(() => parseAuthorizationDetails(big, tool))).toEqual({
      error: 'invalid_authorization_details',
    });
    expect(outcome(() => parseAuthorizationDetails('[{', tool))).toEqual({
      error: 'invalid_authorization_details',
    });
  });
});

describe('tool_call in the protocol module’s canonical form (src/protocol/tool-call.ts)', () => {
  const open = () => ({ ...tool, actions: undefined });
  const parseOpen = (details: unknown) =>
    outcome(() => parseAuthorizationDetails(JSON.stringify(details), open()));
  const digest = argumentsDigest({ text: 'x'.repeat(5000) });

  test('an action of 128 characters (an MCP tool name) is accepted; 129 is refused', () => {
    const a128 = 'a'.repeat(128);
    expect(parseOpen(call({ action: a128 }))).toEqual({
      ok: [{ type: 'tool_call', tool: TICKETS, action: a128 }],
    });
    expect(parseOpen(call({ action: 'a'.repeat(129) }))).toEqual({
      error: 'invalid_authorization_details',
    });
  });

  test('arguments_sha256 binds arguments over the cap and is kept', () => {
    expect(parse(call({ arguments_sha256: digest }))).toEqual({
      ok: [{ type: 'tool_call', tool: TICKETS, action: 'read', arguments_sha256: digest }],
    });
  });

  test.each([
    {
      rule: 'arguments and arguments_sha256 together',
      o: { arguments: {}, arguments_sha256: digest },
    },
    {
      rule: 'an arguments_sha256 that is not 43 base64url characters',
      o: { arguments_sha256: 'abc' },
    },
    { rule: 'an arguments_sha256 that is not a string', o: { arguments_sha256: 42 } },
  ])('refuses $rule (invalid_authorization_details)', ({ o }) => {
    expect(parse(call(o))).toEqual({ error: 'invalid_authorization_details' });
  });

  test('the cap counts UTF-8 bytes of the RFC 8785 form, not characters', () => {
    // 'é' is 2 bytes: under the cap in characters, over it in bytes.
    const args = { t: 'é'.repeat(DEFAULT_MAX_ARGUMENT_BYTES / 2) };
    expect(JSON.stringify(args).length).toBeLessThan(DEFAULT_MAX_ARGUMENT_BYTES + 10);
    expect(argumentsBytes(args)).toBeGreaterThan(DEFAULT_MAX_ARGUMENT_BYTES);
    expect(parse(call({ arguments: args }))).toEqual({ error: 'invalid_authorization_details' });
  });
});
