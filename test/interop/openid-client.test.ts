/**
 * Baton driven by a real OAuth client library, openid-client v6, as an agent and a resource
 * server would use it: RFC 8414 discovery, the RFC 8693 grant through genericGrantRequest,
 * RFC 7662 introspection, RFC 7009 revocation, and Baton's refusals surfaced as the library's
 * ResponseBodyError. Baton's issuer is its real URL here (the library checks the metadata's
 * issuer against the URL it discovered), and the user token comes from the real embedded IdP.
 */
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import { BILLING, SECRETS, TICKETS, type ClientId } from '../support/fixtures.js';
import {
  aliceToken,
  INTROSPECTION_FIELDS,
  startBatonAtItsIssuer,
  type IssuerBaton,
} from '../support/story.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

let s: IssuerBaton;

/** An openid-client Configuration for a test client, in the auth method its config names. */
function client(id: ClientId, secret: string = SECRETS[id]): Promise<oidc.Configuration> {
  const auth =
    id === 'billing-agent' ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret);
  // Baton is an OAuth 2.0 authorization server, not an OpenID provider: its metadata is at the
  // RFC 8414 path, so discovery uses the `oauth2` algorithm.
  return oidc.discovery(new URL(s.issuer), id, secret, auth, {
    execute: [oidc.allowInsecureRequests],
    algorithm: 'oauth2',
  });
}

/** Runs `fn` and returns what it threw (fails if it did not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  s = await startBatonAtItsIssuer();
});
afterAll(() => s?.close());

describe('openid-client v6 against Baton', () => {
  let support: oidc.Configuration;
  let billing: oidc.Configuration;
  let ticketsRs: oidc.Configuration;
  let billingRs: oidc.Configuration;
  let task: string;
  let tool: string;

  beforeAll(async () => {
    [support, billing, ticketsRs, billingRs] = await Promise.all([
      client('support-agent'),
      client('billing-agent'),
      client('tickets-rs'),
      client('billing-rs'),
    ]);
  });

  it("discovery reads Baton's RFC 8414 metadata: issuer = its URL, token/introspection/revocation endpoints, the token-exchange grant", () => {
    const m = support.serverMetadata();
    expect(m.issuer).toBe(s.issuer);
    expect(m.token_endpoint).toBe(`${s.issuer}/token`);
    expect(m.introspection_endpoint).toBe(`${s.issuer}/introspect`);
    expect(m.revocation_endpoint).toBe(`${s.issuer}/revoke`);
    expect(m.jwks_uri).toBe(`${s.issuer}/jwks`);
    expect(m.grant_types_supported).toContain(GRANT);
    expect(m.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    );
  });

  it('genericGrantRequest with the IdP user token and audience = Baton starts a task (task token: aud = Baton, new txn, act = the agent)', async () => {
    const r = await oidc.genericGrantRequest(support, GRANT, {
      subject_token: await aliceToken(s.idp),
      subject_token_type: TOKEN_TYPE_ACCESS,
      audience: s.issuer,
      purpose: 'answer ticket T-7',
    });
    expect(r.token_type).toBe('bearer');
    expect(r.issued_token_type).toBe(TOKEN_TYPE_ACCESS);
    expect(typeof r.expires_in).toBe('number');
    task = r.access_token;
    expect(decodeJwt(task)).toMatchObject({
      iss: s.issuer,
      aud: s.issuer,
      sub: 'alice@example.com',
      client_id: 'support-agent',
      act: { sub: 'support-agent' },
    });
    expect(typeof decodeJwt(task).txn).toBe('string');
  });

  it('genericGrantRequest with the task token and resource = a tool gets a tool token for that tool only', async () => {
    const r = await oidc.genericGrantRequest(support, GRANT, {
      subject_token: task,
      subject_token_type: TOKEN_TYPE_ACCESS,
      resource: TICKETS,
      scope: 'tickets:read',
    });
    tool = r.access_token;
    expect(r.scope).toBe('tickets:read');
    expect(decodeJwt(tool)).toMatchObject({
      aud: TICKETS,
      txn: decodeJwt(task).txn,
      act: { sub: 'support-agent' },
      scope: 'tickets:read',
    });
  });

  it("tokenIntrospection as the tool's resource server reports the tool token active with the documented fields", async () => {
    const r = await oidc.tokenIntrospection(ticketsRs, tool);
    expect(Object.keys(r).sort()).toEqual([...INTROSPECTION_FIELDS]);
    expect(r).toMatchObject({
      active: true,
      aud: TICKETS,
      client_id: 'support-agent',
      sub: 'alice@example.com',
      iss: s.issuer,
      token_type: 'Bearer',
      txn: decodeJwt(task).txn,
      act: { sub: 'support-agent' },
    });
  });

  it('tokenIntrospection reports a tool token inactive to another resource server, and a task token inactive to all', async () => {
    expect(await oidc.tokenIntrospection(billingRs, tool)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(ticketsRs, task)).toEqual({ active: false });
  });

  it('a client_secret_post agent (billing-agent) takes the task over and gets a billing tool token its resource server sees active', async () => {
    const handed = await oidc.genericGrantRequest(billing, GRANT, {
      subject_token: task,
      subject_token_type: TOKEN_TYPE_ACCESS,
      audience: s.issuer,
    });
    expect(decodeJwt(handed.access_token)).toMatchObject({
      aud: s.issuer,
      client_id: 'billing-agent',
      act: { sub: 'billing-agent', act: { sub: 'support-agent' } },
    });
    const bill = await oidc.genericGrantRequest(billing, GRANT, {
      subject_token: handed.access_token,
      subject_token_type: TOKEN_TYPE_ACCESS,
      resource: BILLING,
    });
    expect(await oidc.tokenIntrospection(billingRs, bill.access_token)).toMatchObject({
      active: true,
      aud: BILLING,
      act: { sub: 'billing-agent', act: { sub: 'support-agent' } },
    });
  });

  it('a tool the agent may not use is surfaced as ResponseBodyError with error invalid_target (status 400, a description naming the rule)', async () => {
    const e = await thrown(() =>
      oidc.genericGrantRequest(support, GRANT, {
        subject_token: task,
        subject_token_type: TOKEN_TYPE_ACCESS,
        resource: BILLING,
      }),
    );
    expect(e).toBeInstanceOf(oidc.ResponseBodyError);
    const err = e as oidc.ResponseBodyError;
    expect(err.error).toBe('invalid_target');
    expect(err.status).toBe(400);
    expect(err.error_description).toContain('agents[support-agent].tools');
  });

  it('a tool token presented as subject is surfaced as ResponseBodyError with error invalid_request (tool tokens are terminal)', async () => {
    const e = await thrown(() =>
      oidc.genericGrantRequest(support, GRANT, {
        subject_token: tool,
        subject_token_type: TOKEN_TYPE_ACCESS,
        resource: TICKETS,
      }),
    );
    expect(e).toBeInstanceOf(oidc.ResponseBodyError);
    expect((e as oidc.ResponseBodyError).error).toBe('invalid_request');
  });

  it('tokenRevocation by the client the token was issued to makes it inactive at introspection', async () => {
    const t = (
      await oidc.genericGrantRequest(support, GRANT, {
        subject_token: task,
        subject_token_type: TOKEN_TYPE_ACCESS,
        resource: TICKETS,
      })
    ).access_token;
    expect((await oidc.tokenIntrospection(ticketsRs, t)).active).toBe(true);
    await oidc.tokenRevocation(support, t);
    expect(await oidc.tokenIntrospection(ticketsRs, t)).toEqual({ active: false });
  });

  it('a wrong client secret is 401 invalid_client with a Basic challenge, which openid-client surfaces as WWWAuthenticateChallengeError', async () => {
    const wrong = await client('support-agent', `${SECRETS['support-agent']}-wrong`);
    const e = await thrown(() =>
      oidc.genericGrantRequest(wrong, GRANT, {
        subject_token: task,
        subject_token_type: TOKEN_TYPE_ACCESS,
        resource: TICKETS,
      }),
    );
    expect(e).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    const err = e as oidc.WWWAuthenticateChallengeError;
    expect(err.status).toBe(401);
    expect(err.cause.map((c) => c.scheme)).toEqual(['basic']);
    expect(((await err.response.json()) as { error: string }).error).toBe('invalid_client');
  });
});
