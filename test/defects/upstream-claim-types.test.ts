/**
 * Claims Baton reads as text from an upstream token (src/tokens/verify-upstream.ts) are refused,
 * never coerced, when they are not text: a `sub` of `{}` was the user "[object Object]". Each
 * bad token is signed by the trusted IdP (so only its claim is wrong) and is refused with
 * `invalid_request` (RFC 8693 §2.2.2) as a subject token and as an actor token.
 */
import { TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import {
  exchange,
  ISSUER,
  startTaskToken,
  startTestBaton,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

let upstream: Upstream;
let b: RunningBaton;
let url: string;

beforeAll(async () => ({ upstream, b, url } = await startTestBaton()));
afterAll(() => b?.close());

const CASES: [name: string, claims: Record<string, unknown>, claim: string][] = [
  ['sub is an object', { sub: {} }, 'sub'],
  ['sub is a number', { sub: 42 }, 'sub'],
  ['sub is an array', { sub: ['alice@example.com'] }, 'sub'],
  ['sub is empty', { sub: '' }, 'sub'],
  ['scope is a number', { scope: 42 }, 'scope'],
  ['scope is an array', { scope: ['tickets:read'] }, 'scope'],
  ['scp holds a non-string', { scope: undefined, scp: ['tickets:read', 7] }, 'scp'],
  ['may_act.sub is an object', { may_act: { sub: {} } }, 'may_act'],
  ['may_act is a string', { may_act: 'support-agent' }, 'may_act'],
  ['may_act.iss is a number', { may_act: { sub: 'support-agent', iss: 1 } }, 'may_act'],
];

/** A token of the trusted IdP with `claims` set raw (so only they are wrong). */
const tokenWith = (claims: Record<string, unknown>) => upstream.userToken({ raw: claims });

it.each(CASES)(
  'a subject token whose %s is refused (invalid_request)',
  async (_n, claims, claim) => {
    const r = await exchange(url, 'support-agent', {
      subject_token: await tokenWith(claims),
      audience: ISSUER,
    });
    expect({ status: r.status, error: r.body.error }).toEqual({
      status: 400,
      error: 'invalid_request',
    });
    expect(String(r.body.error_description)).toContain(`subject_token's ${claim} claim`);
    expect(r.body.access_token).toBeUndefined();
  },
);

it.each(CASES.filter(([, c]) => 'sub' in c))(
  'an actor token whose %s is refused (invalid_request)',
  async (_n, claims) => {
    const r = await exchange(url, 'orchestrator', {
      subject_token: await startTaskToken(url, upstream, 'orchestrator'),
      audience: ISSUER,
      actor_token: await tokenWith(claims),
      actor_token_type: TOKEN_TYPE_ACCESS,
    });
    expect({ status: r.status, error: r.body.error }).toEqual({
      status: 400,
      error: 'invalid_request',
    });
    expect(String(r.body.error_description)).toContain("actor_token's sub claim");
  },
);

it('the same token with string claims is accepted (the context is valid)', async () => {
  const r = await exchange(url, 'support-agent', {
    subject_token: await tokenWith({ scp: ['tickets:read'], scope: undefined }),
    audience: ISSUER,
  });
  expect(r.status).toBe(200);
});
