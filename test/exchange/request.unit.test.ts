import { parseExchangeRequest } from '../../src/exchange/request.js';
import { parseForm } from '../../src/http/form.js';
import {
  GRANT_TOKEN_EXCHANGE,
  TOKEN_TYPE_ACCESS,
  TOKEN_TYPE_JWT,
} from '../../src/tokens/claims.js';
import { formBody } from '../support/fixtures.js';
import { outcome } from '../support/rules.js';

const BASE = {
  grant_type: GRANT_TOKEN_EXCHANGE,
  subject_token: 'subject',
  subject_token_type: TOKEN_TYPE_ACCESS,
};
const parse = (fields: Record<string, string | string[] | undefined>) => {
  const given: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries({ ...BASE, ...fields })) if (v !== undefined) given[k] = v;
  return outcome(() => parseExchangeRequest(parseForm(formBody(given)), 20));
};
const refused = (error: string) => ({ error });

describe('parseExchangeRequest: RFC 8693 §2.1 request shape', () => {
  test.each([
    { rule: 'the minimal request parses', fields: {}, want: { resources: [], audiences: [] } },
    {
      rule: 'resource may repeat',
      fields: { resource: ['https://a.test/', 'https://b.test/'] },
      want: { resources: ['https://a.test/', 'https://b.test/'] },
    },
    {
      rule: 'audience may repeat',
      fields: { audience: ['a', 'b'] },
      want: { audiences: ['a', 'b'] },
    },
    {
      rule: 'scope is split on spaces',
      fields: { scope: 'a:read b:write' },
      want: { scope: ['a:read', 'b:write'] },
    },
    {
      rule: 'a JWT subject token type is accepted',
      fields: { subject_token_type: TOKEN_TYPE_JWT },
      want: { subjectTokenType: TOKEN_TYPE_JWT },
    },
    {
      rule: 'a purpose of purposeMaxLength characters is accepted',
      fields: { purpose: 'x'.repeat(20) },
      want: { purpose: 'x'.repeat(20) },
    },
    {
      rule: 'actor_token with actor_token_type is accepted',
      fields: { actor_token: 'a', actor_token_type: TOKEN_TYPE_ACCESS },
      want: { actorToken: 'a' },
    },
  ])('$rule', ({ fields, want }) => {
    const r = parse(fields);
    expect(r).toHaveProperty('ok');
    expect((r as { ok: object }).ok).toMatchObject(want);
  });

  test.each([
    {
      rule: 'another grant_type is unsupported_grant_type',
      fields: { grant_type: 'client_credentials' },
      want: refused('unsupported_grant_type'),
    },
    {
      rule: 'a missing subject_token is invalid_request',
      fields: { subject_token: '' },
      want: refused('invalid_request'),
    },
    {
      rule: 'an unknown subject_token_type is invalid_request',
      fields: { subject_token_type: 'urn:x' },
      want: refused('invalid_request'),
    },
    {
      rule: 'any other parameter repeated is invalid_request',
      fields: { scope: ['a', 'b'] },
      want: refused('invalid_request'),
    },
    {
      rule: 'actor_token without actor_token_type is invalid_request',
      fields: { actor_token: 'a' },
      want: refused('invalid_request'),
    },
    {
      rule: 'actor_token_type without actor_token is invalid_request',
      fields: { actor_token_type: TOKEN_TYPE_ACCESS },
      want: refused('invalid_request'),
    },
    {
      rule: 'a requested_token_type Baton cannot issue is invalid_request',
      fields: { requested_token_type: 'urn:x' },
      want: refused('invalid_request'),
    },
    {
      rule: 'a scope with a double space is malformed (RFC 6749 §3.3)',
      fields: { scope: 'a  b' },
      want: refused('invalid_request'),
    },
    {
      rule: 'a purpose over purposeMaxLength is invalid_request',
      fields: { purpose: 'x'.repeat(21) },
      want: refused('invalid_request'),
    },
    {
      rule: 'an empty audience is invalid_request',
      fields: { audience: '' },
      want: refused('invalid_request'),
    },
    {
      rule: 'a relative resource is invalid_target (RFC 8707 §2)',
      fields: { resource: 'tickets' },
      want: refused('invalid_target'),
    },
    {
      rule: 'a resource with a fragment is invalid_target (RFC 8707 §2)',
      fields: { resource: 'https://a.test/#x' },
      want: refused('invalid_target'),
    },
    {
      rule: 'a malformed approval_id is invalid_request',
      fields: { approval_id: 'a b' },
      want: refused('invalid_request'),
    },
  ])('$rule', ({ fields, want }) => {
    expect(parse(fields)).toEqual(want);
  });
});
