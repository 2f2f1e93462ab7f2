/**
 * Client authentication at /token (docs/endpoints.md, "Client authentication"): client_secret_basic,
 * client_secret_post and private_key_jwt (RFC 7523). Every refusal is 401 invalid_client with a
 * WWW-Authenticate header (RFC 6749 §5.2); two methods at once is invalid_request.
 */
import { generateKeyPair, type CryptoKey } from 'jose';
import { hashSecret } from '../../src/auth/secrets.js';
import {
  assertionForm,
  basic,
  clientAssertion,
  hmacJwt,
  ISSUER,
  makeClientKey,
  makeUpstream,
  publicPem,
  SECRETS,
  startBaton,
  testConfig,
  TICKETS,
  tokenRequest,
  type HttpResult,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

const JWT_AGENT = 'jwt-agent';
/** A client id and secret with characters that must be form-urlencoded in Basic (RFC 6749 §2.3.1). */
const ODD_ID = 'ops:agent@acme';
const ODD_SECRET = 'p@ss:w0rd+/=%&?# é-空-0123456789abcdefghijklmnop';

let upstream: Upstream;
let b: RunningBaton;
let url: string;
let jwtKey: CryptoKey;
let jwtJwk: Record<string, unknown>;

beforeAll(async () => {
  upstream = await makeUpstream();
  const k = await makeClientKey('client-1');
  jwtKey = k.privateKey;
  jwtJwk = k.jwks.keys[0] as Record<string, unknown>;
  const config = testConfig(upstream, (raw) => {
    (raw.agents as unknown[]).push(
      {
        id: JWT_AGENT,
        auth: { method: 'private_key_jwt', jwks: k.jwks },
        taskScopes: ['tickets:read'],
        tools: { [TICKETS]: { scopes: ['tickets:read'] } },
      },
      {
        id: ODD_ID,
        auth: { method: 'client_secret_basic', secretHash: hashSecret(ODD_SECRET) },
        taskScopes: ['tickets:read'],
      },
    );
  });
  b = await startBaton(config);
  url = b.url;
});
afterAll(() => b?.close());

/** A task start authenticated by whatever `auth` carries (headers and form fields). */
async function startWith(auth: {
  headers?: Record<string, string>;
  form?: Record<string, string>;
}): Promise<HttpResult> {
  return tokenRequest(
    url,
    { subject_token: await upstream.userToken(), audience: ISSUER, ...auth.form },
    auth.headers ?? {},
  );
}
const withAssertion = (a: string) => startWith({ form: assertionForm(a) });

function expectInvalidClient(r: HttpResult): void {
  expect(r.status).toBe(401);
  expect(r.body.error).toBe('invalid_client');
  // RFC 6749 §5.2: a 401 names the scheme the client should authenticate with.
  expect(r.headers.get('www-authenticate')).toBe('Basic realm="baton"');
  expect(r.body.access_token).toBeUndefined();
}

describe('accepted methods', () => {
  it('accepts client_secret_basic for a client configured with it', async () => {
    expect(
      (
        await startWith({
          headers: { authorization: basic('support-agent', SECRETS['support-agent']) },
        })
      ).status,
    ).toBe(200);
  });

  it('accepts client_secret_post for a client configured with it', async () => {
    expect(
      (
        await startWith({
          form: { client_id: 'billing-agent', client_secret: SECRETS['billing-agent'] },
        })
      ).status,
    ).toBe(200);
  });

  it('accepts private_key_jwt with aud = the issuer (RFC 7523: iss = sub = client_id, short exp, jti)', async () => {
    const r = await withAssertion(await clientAssertion(jwtKey, JWT_AGENT, { aud: ISSUER }));
    expect(r.status).toBe(200);
  });

  it('accepts private_key_jwt with aud = the token endpoint URL, and with client_id in the form', async () => {
    const a = await clientAssertion(jwtKey, JWT_AGENT, { aud: `${ISSUER}/token` });
    const r = await startWith({ form: { client_id: JWT_AGENT, ...assertionForm(a) } });
    expect(r.status).toBe(200);
  });

  it('accepts a Basic credential whose id and secret carry URL-encoded special characters (RFC 6749 §2.3.1)', async () => {
    expect(
      (await startWith({ headers: { authorization: basic(ODD_ID, ODD_SECRET) } })).status,
    ).toBe(200);
    // application/x-www-form-urlencoded spells a space '+'.
    const formEncode = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
    const plus = `Basic ${Buffer.from(`${formEncode(ODD_ID)}:${formEncode(ODD_SECRET)}`).toString('base64')}`;
    expect(plus).not.toBe(basic(ODD_ID, ODD_SECRET));
    expect((await startWith({ headers: { authorization: plus } })).status).toBe(200);
  });
});

describe('refused with 401 invalid_client and WWW-Authenticate', () => {
  it('refuses an unknown client (Basic and post)', async () => {
    expectInvalidClient(
      await startWith({ headers: { authorization: basic('nobody', SECRETS['support-agent']) } }),
    );
    expectInvalidClient(
      await startWith({ form: { client_id: 'nobody', client_secret: SECRETS['billing-agent'] } }),
    );
  });

  it('refuses a wrong secret (Basic and post)', async () => {
    expectInvalidClient(
      await startWith({
        headers: { authorization: basic('support-agent', SECRETS['billing-agent']) },
      }),
    );
    expectInvalidClient(
      await startWith({
        form: { client_id: 'billing-agent', client_secret: `${SECRETS['billing-agent']}x` },
      }),
    );
  });

  it('answers an unknown client and a wrong secret alike (no client enumeration)', async () => {
    const unknown = await startWith({ headers: { authorization: basic('nobody', 'x') } });
    const wrong = await startWith({ headers: { authorization: basic('support-agent', 'x') } });
    expect(wrong.body).toEqual(unknown.body);
  });

  it('refuses a Basic credential sent without URL-encoding when the secret needs it', async () => {
    const raw = `Basic ${Buffer.from(`${ODD_ID}:${ODD_SECRET}`).toString('base64')}`;
    expectInvalidClient(await startWith({ headers: { authorization: raw } }));
  });

  it('refuses a method other than the configured one', async () => {
    // support-agent is configured for client_secret_basic, billing-agent for client_secret_post.
    expectInvalidClient(
      await startWith({
        form: { client_id: 'support-agent', client_secret: SECRETS['support-agent'] },
      }),
    );
    expectInvalidClient(
      await startWith({
        headers: { authorization: basic('billing-agent', SECRETS['billing-agent']) },
      }),
    );
    expectInvalidClient(await withAssertion(await clientAssertion(jwtKey, 'support-agent')));
  });

  it('refuses a private_key_jwt client presenting a secret', async () => {
    expectInvalidClient(await startWith({ headers: { authorization: basic(JWT_AGENT, 'guess') } }));
  });

  it('refuses a replayed assertion (same jti twice)', async () => {
    const a = await clientAssertion(jwtKey, JWT_AGENT);
    expect((await withAssertion(a)).status).toBe(200);
    expectInvalidClient(await withAssertion(a));
  });

  it('refuses a new assertion that reuses a jti', async () => {
    const jti = `jti-${Date.now()}`;
    expect((await withAssertion(await clientAssertion(jwtKey, JWT_AGENT, { jti }))).status).toBe(
      200,
    );
    expectInvalidClient(
      await withAssertion(await clientAssertion(jwtKey, JWT_AGENT, { jti, expIn: 90 })),
    );
  });

  it('refuses an assertion with a wrong aud (another server, or another Baton endpoint)', async () => {
    expectInvalidClient(
      await withAssertion(
        await clientAssertion(jwtKey, JWT_AGENT, { aud: 'https://elsewhere.test' }),
      ),
    );
    expectInvalidClient(
      await withAssertion(
        await clientAssertion(jwtKey, JWT_AGENT, { aud: `${ISSUER}/introspect` }),
      ),
    );
  });

  it('refuses an expired assertion', async () => {
    expectInvalidClient(
      await withAssertion(await clientAssertion(jwtKey, JWT_AGENT, { expIn: -60 })),
    );
  });

  it('refuses an assertion that lives longer than 300 s', async () => {
    expectInvalidClient(
      await withAssertion(await clientAssertion(jwtKey, JWT_AGENT, { expIn: 3600 })),
    );
    expectInvalidClient(
      await withAssertion(await clientAssertion(jwtKey, JWT_AGENT, { expIn: 330 })),
    );
  });

  it('refuses an assertion signed by another key', async () => {
    const other = (await generateKeyPair('ES256')).privateKey;
    expectInvalidClient(await withAssertion(await clientAssertion(other, JWT_AGENT)));
  });

  it('refuses an assertion whose iss is not the client (iss ≠ sub)', async () => {
    expectInvalidClient(
      await startWith({
        form: {
          client_id: JWT_AGENT,
          ...assertionForm(await clientAssertion(jwtKey, JWT_AGENT, { iss: 'support-agent' })),
        },
      }),
    );
  });

  it('refuses an HS256 assertion keyed with the client’s public key (alg confusion)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = hmacJwt(
      { iss: JWT_AGENT, sub: JWT_AGENT, aud: ISSUER, exp: now + 60, iat: now, jti: `hs-${now}` },
      publicPem(jwtJwk),
      { kid: 'client-1', typ: 'JWT' },
    );
    expectInvalidClient(await withAssertion(forged));
  });

  it('refuses a request with no client credentials', async () => {
    expectInvalidClient(await startWith({}));
  });

  it('answers an assertion for a known client of another method like one for an unknown client (no client enumeration)', async () => {
    const other = (await generateKeyPair('ES256')).privateKey;
    const known = await withAssertion(await clientAssertion(other, 'support-agent'));
    const unknown = await withAssertion(await clientAssertion(other, 'nobody'));
    expectInvalidClient(known);
    expect(known.body).toEqual(unknown.body);
  });
});

describe('more than one method', () => {
  it('refuses two methods at once (invalid_request)', async () => {
    const a = await clientAssertion(jwtKey, JWT_AGENT);
    const basicAndPost = await startWith({
      headers: { authorization: basic('support-agent', SECRETS['support-agent']) },
      form: { client_id: 'support-agent', client_secret: SECRETS['support-agent'] },
    });
    expect(basicAndPost.status).toBe(400);
    expect(basicAndPost.body.error).toBe('invalid_request');
    const basicAndAssertion = await startWith({
      headers: { authorization: basic('support-agent', SECRETS['support-agent']) },
      form: assertionForm(a),
    });
    expect(basicAndAssertion.body.error).toBe('invalid_request');
    const postAndAssertion = await startWith({
      form: {
        client_id: 'billing-agent',
        client_secret: SECRETS['billing-agent'],
        ...assertionForm(a),
      },
    });
    expect(postAndAssertion.body.error).toBe('invalid_request');
  });
});
