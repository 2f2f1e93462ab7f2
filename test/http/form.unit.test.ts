import { parseForm } from '../../src/http/form.js';

const asObject = (body: string) => Object.fromEntries(parseForm(body));

describe('parseForm: an urlencoded body as every value of every name', () => {
  test.each([
    { rule: 'one name, one value', body: 'a=1', fields: { a: ['1'] } },
    {
      rule: 'a repeated name keeps every value, in order',
      body: 'r=x&r=y',
      fields: { r: ['x', 'y'] },
    },
    { rule: '+ is a space and %XX is decoded', body: 's=a+b%2Fc', fields: { s: ['a b/c'] } },
    { rule: 'a name without = has an empty value', body: 'flag', fields: { flag: [''] } },
    { rule: 'an empty body has no fields', body: '', fields: {} },
  ])('$rule', ({ body, fields }) => {
    expect(asObject(body)).toEqual(fields);
  });
});

describe('parseForm parses exactly as URLSearchParams (the WHATWG parser) does', () => {
  const viaStandard = (body: string) => {
    const out = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(body)) out.set(k, [...(out.get(k) ?? []), v]);
    return out;
  };

  test.each([
    ['a token needing no decoding', 'subject_token=eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_'],
    ['encoded colons and slashes', 'resource=https%3A%2F%2Fapi.example%2Fv1&x=urn%3Aietf'],
    ['an encoded plus and a literal plus', 'a=1%2B1+2'],
    ['a value holding =', 'a=b=c&=empty-name&&&'],
    ['a stray % and a bad escape', 'a=100%&b=%zz&c=%4'],
    ['UTF-8 escapes, valid and cut short', 'n=%C3%A9t%C3%A9&m=%E2%82&o=%FF'],
    ['non-ASCII as it is', 'p=été&q=✓'],
    ["a leading ? (dropped once, as a query string's)", '?grant_type=a&grant_type=b&?x=1'],
    ['only the first = of a pair splits it; a pair without = follows', 'a=b=c&d&e=&=f'],
  ])('%s', (_rule, body) => {
    expect(parseForm(body)).toEqual(viaStandard(body));
  });

  test('on 5,000 random bodies over the characters that matter', () => {
    const alphabet = [
      'a',
      'Z',
      '0',
      '9',
      'F',
      '%',
      '+',
      '&',
      '=',
      '.',
      '-',
      '_',
      'é',
      '%C3',
      '%A9',
      '%2',
      '%E2%82%AC',
      ' ',
      '?',
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 5000; i++) {
      let body = '';
      const n = next() % 24;
      for (let j = 0; j < n; j++) body += alphabet[next() % alphabet.length];
      expect([body, parseForm(body)]).toEqual([body, viaStandard(body)]);
    }
  });
});
