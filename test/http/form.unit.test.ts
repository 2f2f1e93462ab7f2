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
