/**
 * /token as a protocol, over real HTTP (memory store): RFC 8693 §2.2.1 response shape, RFC 6749
 * §5.1 cache headers, malformed requests, "a refused request changes nothing", and who may call.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  adminTokenCount,
  basic,
  claimsOf,
  credentials,
  exchange,
  exchangeOk,
  ISSUER,
  postForm,
  SECRETS,
  startTaskToken,
  TICKETS,
  BILLING,
  tokenRequest,
  type RunningBaton,
  type Upstream,
  startTestBaton,
} from '../support/fixtures.js';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';

let upstream: Upstream;
let b: RunningBaton;
let url: string;

beforeAll(async () => ({ upstream, b, url } = await startTestBaton()));
afterAll(() => b?.close());

const expectNoStore = (h: Headers) => {
  expect(h.get('cache-control')).toBe('no-store');
  expect(h.get('pragma')).toBe('no-cache');
};

describe('response shape (RFC 8693 §2.2.1, RFC 6749 §5.1)', () => {
  it('answers access_token, issued_token_type, token_type Bearer, expires_in and scope, and nothing else', async () => {
    const r = await exchange(url, 'support-agent', {
      subject_token: await upstream.userToken(),
      audience: ISSUER,
      scope: 'tickets:read',
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual([
      'access_token',
      'expires_in',
      'issued_token_type',
      'scope',
      'token_type',
    ]);
    expect(r.body.issued_token_type).toBe(TOKEN_TYPE_ACCESS);
    expect(r.body.token_type).toBe('Bearer');
    expect(r.body.scope).toBe('tickets:read');
    const claims = claimsOf(r.body.access_token as string);
    expect(Number.isInteger(r.body.expires_in)).toBe(true);
    expect(r.body.expires_in as number).toBeGreaterThan(0);
    expect(r.body.expires_in as number).toBeLessThanOrEqual(claims.exp - claims.iat);
  });

  it('sends Cache-Control: no-store and Pragma: no-cache on success', async () => {
    const r = await exchange(url, 'support-agent', { subject_token: await upstream.userToken() });
    expect(r.status).toBe(200);
    expectNoStore(r.headers);
  });

  it('sends Cache-Control: no-store and Pragma: no-cache on errors', async () => {
    const r = await exchange(url, 'support-agent', { subject_token: 'not-a-token' });
    expect(r.status).toBe(400);
    expectNoStore(r.headers);
  });

  it('issues JWTs with header typ at+jwt, alg ES256 and a kid published at GET /jwks, verifiable against it', async () => {
    const task = await startTaskToken(url, upstream);
    const tool = (
      await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS })
    ).token;
    const jwks = (await (await fetch(`${url}/jwks`)).json()) as JSONWebKeySet;
    const kids = jwks.keys.map((k) => k.kid);
    for (const token of [task, tool]) {
      const h = decodeProtectedHeader(token);
      expect(h).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
      expect(kids).toContain(h.kid);
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: ISSUER,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      });
      expect(payload.jti).toBe(claimsOf(token).jti);
    }
  });
});

describe('malformed requests', () => {
  const auth = credentials('support-agent').headers;
  let task: string;
  beforeAll(async () => {
    task = await startTaskToken(url, upstream);
  });

  it.each(['grant_type', 'subject_token', 'subject_token_type'])(
    'refuses a request without %s (invalid_request)',
    async (missing) => {
      const fields: Record<string, string> = {
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: task,
        subject_token_type: TOKEN_TYPE_ACCESS,
        resource: TICKETS,
      };
      delete fields[missing];
      const r = await postForm(`${url}/token`, fields, auth);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    },
  );

  it('refuses another grant_type (unsupported_grant_type)', async () => {
    const r = await tokenRequest(
      url,
      { grant_type: 'client_credentials', subject_token: task },
      auth,
    );
    expect(r.body.error).toBe('unsupported_grant_type');
  });

  it('refuses an unsupported subject_token_type (invalid_request)', async () => {
    const r = await tokenRequest(
      url,
      {
        subject_token: task,
        subject_token_type: 'urn:ietf:params:oauth:token-type:saml2',
        resource: TICKETS,
      },
      auth,
    );
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses a duplicated parameter such as two scope values (invalid_request)', async () => {
    const r = await tokenRequest(
      url,
      { subject_token: task, resource: TICKETS, scope: ['tickets:read', 'tickets:write'] },
      auth,
    );
    expect(r.body.error).toBe('invalid_request');
    const twoSubjects = await tokenRequest(
      url,
      { subject_token: [task, task], resource: TICKETS },
      auth,
    );
    expect(twoSubjects.body.error).toBe('invalid_request');
  });

  it('accepts repeated resource and audience when they name one target', async () => {
    const r = await tokenRequest(
      url,
      { subject_token: task, resource: [TICKETS, TICKETS], audience: ['tickets', TICKETS] },
      auth,
    );
    expect(r.status).toBe(200);
    expect(claimsOf(r.body.access_token as string).aud).toBe(TICKETS);
  });

  it('refuses a body that is not application/x-www-form-urlencoded (invalid_request)', async () => {
    const res = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: task,
        subject_token_type: TOKEN_TYPE_ACCESS,
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Record<string, unknown>).error).toBe('invalid_request');
  });

  it('refuses a body over 16 KB with 413', async () => {
    const r = await tokenRequest(
      url,
      { subject_token: task, resource: TICKETS, padding: 'x'.repeat(17 * 1024) },
      auth,
    );
    expect(r.status).toBe(413);
    expect(r.body.error).toBe('invalid_request');
  });

  it('refuses a streamed (chunked) body over 16 KB with 413', async () => {
    const chunk = new TextEncoder().encode(
      `grant_type=${encodeURIComponent(GRANT_TOKEN_EXCHANGE)}&padding=${'x'.repeat(4096)}`,
    );
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 6) c.enqueue(chunk);
        else c.close();
      },
    });
    const res = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('answers GET /token with 405 and Allow: POST', async () => {
    const res = await fetch(`${url}/token`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  const rawToken = async (fields: Record<string, string>) => {
    const res = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: new URLSearchParams({
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token_type: TOKEN_TYPE_ACCESS,
        ...fields,
      }),
    });
    return { status: res.status, text: await res.text() };
  };

  it('never echoes a submitted subject or actor token in an error', async () => {
    const tool = (
      await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS })
    ).token;
    const forged = `${task.slice(0, -10)}AAAAAAAAAA`;
    const cases: Record<string, string>[] = [
      { subject_token: tool, resource: TICKETS }, // a tool token as subject
      { subject_token: forged, resource: TICKETS }, // bad signature
      { subject_token: task, resource: TICKETS, scope: 'billing:read' }, // invalid_scope
      { subject_token: task, resource: BILLING }, // invalid_target
      { subject_token: task, resource: TICKETS, actor_token: tool }, // actor_token without type
      {
        subject_token: task,
        audience: ISSUER,
        actor_token: forged,
        actor_token_type: TOKEN_TYPE_ACCESS,
      }, // bad actor
    ];
    for (const fields of cases) {
      const r = await rawToken(fields);
      expect(r.status).toBe(400);
      for (const t of [task, tool, forged])
        for (const segment of t.split('.').slice(1)) expect(r.text).not.toContain(segment);
    }
  });

  it.each(['scope', 'resource', 'audience', 'grant_type', 'subject_token_type'])(
    'never echoes a token misplaced into %s (no full token, no signature in the error)',
    async (field) => {
      const tool = (
        await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS })
      ).token;
      const r = await rawToken({
        subject_token: task,
        ...(field === 'scope' ? { resource: TICKETS } : {}),
        [field]: tool,
      });
      expect(r.status).toBe(400);
      expect(r.text).not.toContain(tool);
      expect(r.text).not.toContain(tool.split('.')[2]!);
    },
  );
});

describe('a refused request changes nothing', () => {
  it('a refused hand-off or tool request leaves the task’s token count unchanged; a granted one adds one', async () => {
    const task = await startTaskToken(url, upstream);
    const txn = claimsOf(task).txn;
    const before = await adminTokenCount(url, txn);
    expect(before).toBe(1);
    const refused = [
      await exchange(url, 'orchestrator', { subject_token: task, audience: ISSUER }), // hand-off not allowed
      await exchange(url, 'support-agent', { subject_token: task, audience: ISSUER }), // hand-off to yourself
      await exchange(url, 'billing-agent', {
        subject_token: task,
        audience: ISSUER,
        scope: 'tickets:write',
      }), // hand-off scope
      await exchange(url, 'support-agent', {
        subject_token: task,
        resource: TICKETS,
        scope: 'billing:read',
      }), // tool scope
      await exchange(url, 'support-agent', { subject_token: task, resource: BILLING }), // tool not allowed
      await exchange(url, 'billing-agent', { subject_token: task, resource: TICKETS }), // not the current actor
    ];
    for (const r of refused) expect(r.status).toBe(400);
    expect(await adminTokenCount(url, txn)).toBe(before);
    await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS });
    expect(await adminTokenCount(url, txn)).toBe(before + 1);
  });
});

describe('who may call /token', () => {
  it('refuses a resource server calling /token (unauthorized_client)', async () => {
    const task = await startTaskToken(url, upstream);
    const r = await tokenRequest(
      url,
      { subject_token: task, resource: TICKETS },
      { authorization: basic('tickets-rs', SECRETS['tickets-rs']) },
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('unauthorized_client');
  });
});
