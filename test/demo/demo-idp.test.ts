import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startDemoIdp, type DemoIdp } from '../../src/demo/idp.js';

const AUDIENCE = 'http://127.0.0.1:9999/baton';

describe('demo IdP (embedded oidc-provider)', () => {
  let idp: DemoIdp;

  beforeAll(async () => {
    idp = await startDemoIdp({ audience: AUDIENCE, accessTokenTtlSeconds: 600 });
  });
  afterAll(async () => {
    await idp?.close();
  });

  it('binds to a real loopback port and derives its endpoints from it', () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(idp.jwksUri).toBe(`${idp.issuer}/jwks`);
    expect(idp.tokenEndpoint).toBe(`${idp.issuer}/token`);
  });

  it('issues an ES256 at+jwt user token verifiable against the published JWKS', async () => {
    const res = await idp.issueUserToken(
      'alice@example.com',
      'alice-demo-password',
      'openid tickets:read billing:read',
    );
    expect(res.expires_in).toBe(600);
    expect(res.scope).toBe('openid tickets:read billing:read');

    const header = decodeProtectedHeader(res.access_token);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe('ES256');
    expect(typeof header.kid).toBe('string');

    const { payload } = await jwtVerify(
      res.access_token,
      createRemoteJWKSet(new URL(idp.jwksUri)),
      {
        issuer: idp.issuer,
        audience: AUDIENCE,
        algorithms: ['ES256'],
        typ: 'at+jwt',
      },
    );
    expect(payload.sub).toBe('alice@example.com');
    expect(payload.scope).toBe('openid tickets:read billing:read');
    expect(payload.tenant).toBe('acme');
    expect(payload.client_id).toBe(idp.clientId);
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('refuses a wrong password with invalid_grant', async () => {
    await expect(idp.issueUserToken('alice@example.com', 'nope', 'openid')).rejects.toThrow(
      /invalid_grant/,
    );
    await expect(
      idp.issueUserToken('mallory@example.com', 'alice-demo-password', 'openid'),
    ).rejects.toThrow(/invalid_grant/);
  });

  it('refuses unknown scopes with invalid_scope', async () => {
    await expect(
      idp.issueUserToken('alice@example.com', 'alice-demo-password', 'openid admin:all'),
    ).rejects.toThrow(/invalid_scope.*admin:all/);
  });

  it('refuses a wrong client secret', async () => {
    const res = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${idp.clientId}:wrong`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'password',
        username: 'alice@example.com',
        password: 'alice-demo-password',
      }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
  });

  it('curlCommand() is a working one-liner', async () => {
    const cmd = idp.curlCommand();
    expect(cmd).toContain(idp.tokenEndpoint);
    // Must be the async execFile: execFileSync would block this process's event loop, and with it
    // the in-process IdP that curl is talking to (deadlock, and jest's timeout can't fire either).
    const { stdout } = await promisify(execFile)('sh', ['-c', cmd], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(typeof out.access_token).toBe('string');
    expect(out.token_type).toBe('Bearer');
    const { payload } = await jwtVerify(
      String(out.access_token),
      createRemoteJWKSet(new URL(idp.jwksUri)),
      {
        issuer: idp.issuer,
        audience: AUDIENCE,
      },
    );
    expect(payload.sub).toBe('alice@example.com');
    expect(String(payload.scope).split(' ')).toContain('deploy:prod');
  });
});
