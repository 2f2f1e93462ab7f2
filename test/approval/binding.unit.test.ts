import { bindingHash, canonicalJson } from '../../src/protocol/binding.js';

const base = { txn: 'txn-1', agent: 'support-agent', tool: 'https://tools.test/deploy' };

describe('approval binding hash (RFC 8785 canonical form)', () => {
  test.each([
    [
      'object keys in any order',
      '{"b":[1,{"y":2,"x":1}],"a":"é"}',
      '{"a":"é","b":[1,{"x":1,"y":2}]}',
    ],
    ['numbers in their shortest form', '{"n":1.0,"m":1e2}', '{"m":100,"n":1}'],
    ['no insignificant whitespace', '{ "a" : [ 1 , 2 ] }', '{"a":[1,2]}'],
  ])('canonical JSON: %s', (_rule, input, canonical) => {
    expect(canonicalJson(JSON.parse(input))).toBe(canonical);
  });

  test('the order of keys in a tool call’s arguments does not make another binding', () => {
    const details = (args: Record<string, unknown>) => [
      { type: 'tool_call', action: 'deploy', arguments: args },
    ];
    const a = bindingHash({
      ...base,
      scope: 'deploy:prod',
      authorization_details: details({ version: '1.2.0', env: { region: 'eu', zone: 1 } }),
    });
    const b = bindingHash({
      ...base,
      scope: 'deploy:prod',
      authorization_details: details({ env: { zone: 1, region: 'eu' }, version: '1.2.0' }),
    });
    expect(a).toBe(b);
  });

  test('scope order does not count; every bound field does', () => {
    const h = bindingHash({ ...base, scope: 'a b' });
    expect(bindingHash({ ...base, scope: 'b a' })).toBe(h);
    for (const other of [
      { ...base, scope: 'a' },
      { ...base, txn: 'txn-2', scope: 'a b' },
      { ...base, agent: 'other', scope: 'a b' },
      { ...base, tool: 'https://tools.test/x', scope: 'a b' },
      { ...base, scope: 'a b', authorization_details: [] },
    ])
      expect(bindingHash(other)).not.toBe(h);
  });
});
