import { grantScopes, intersect } from '../../src/policy/ceilings.js';
import { joinScope, splitScope } from '../../src/tokens/claims.js';
import { outcome } from '../support/rules.js';

const ALLOWED = new Set(['tickets:read', 'tickets:write']);

describe('grantScopes: what may be granted, never narrowed silently', () => {
  test.each([
    {
      rule: 'none requested grants all that is allowed, sorted',
      requested: undefined,
      want: { ok: ['tickets:read', 'tickets:write'] },
    },
    {
      rule: 'a subset requested is granted exactly',
      requested: ['tickets:write'],
      want: { ok: ['tickets:write'] },
    },
    {
      rule: 'a repeat in the request is granted once',
      requested: ['tickets:read', 'tickets:read'],
      want: { ok: ['tickets:read'] },
    },
    {
      rule: 'one scope outside what is allowed refuses the whole request',
      requested: ['tickets:read', 'billing:read'],
      want: { error: 'invalid_scope' },
    },
  ])('$rule', ({ requested, want }) => {
    expect(outcome(() => grantScopes(requested, ALLOWED, 'rule'))).toEqual(want);
  });

  test('nothing allowed and none requested is invalid_scope, not an empty token', () => {
    expect(outcome(() => grantScopes(undefined, new Set(), 'rule'))).toEqual({
      error: 'invalid_scope',
    });
  });
});

describe('scope intersection and the scope string (RFC 6749 §3.3)', () => {
  test.each([
    {
      rule: 'keeps what both sides hold',
      a: ['a', 'b', 'c'],
      b: ['b', 'c', 'd'],
      want: ['b', 'c'],
    },
    { rule: 'disjoint sides give nothing', a: ['a'], b: ['b'], want: [] },
    { rule: 'an empty side gives nothing', a: [], b: ['b'], want: [] },
  ])('intersect $rule', ({ a, b, want }) => {
    expect([...intersect(a, b)]).toEqual(want);
  });

  test.each([
    { rule: 'splits on single spaces', s: 'a b', want: ['a', 'b'] },
    { rule: 'no scope is no scopes', s: undefined, want: [] },
    { rule: 'an empty string is no scopes', s: '', want: [] },
  ])('splitScope $rule', ({ s, want }) => {
    expect(splitScope(s)).toEqual(want);
    expect(joinScope(splitScope(s))).toBe(want.join(' '));
  });
});
