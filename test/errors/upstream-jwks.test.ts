/**
 * A trusted issuer's JWKS that cannot be fetched is Baton failing, not the token: 503
 * `temporarily_unavailable` with Retry-After, and one warning per issuer and interval naming
 * the issuer and the cause. A `kid` in no fetched key set is still the token's fault.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { DEFAULTS } from '../../src/config/defaults.js';
import { startDemoIdp } from '../../src/demo/idp.js';
import {
  capturedLog,
  exchange,
  ISSUER,
  makeUpstream,
  type RunningBaton,
  startBaton,
  testConfig,
  type Upstream,
} from '../support/index.js';

type Mode = 'ok' | 'error500' | 'html' | 'not-a-jwks' | 'hang';

/** A JWKS endpoint serving `upstream`'s key, or failing in the way `mode` says. */
async function jwksServer(upstream: Upstream) {
  let mode: Mode = 'ok';
  const hung = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((_req, res) => {
    if (mode === 'hang') return void hung.add(res);
    if (mode === 'error500') return void res.writeHead(500).end('upstream broke');
    if (mode === 'html')
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    const body = mode === 'ok' ? { keys: [upstream.jwk] } : { hello: 'world' };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  return {
    uri,
    set: (m: Mode) => {
      mode = m;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const startTask = (url: string, subjectToken: string) =>
  exchange(url, 'support-agent', { subject_token: subjectToken, audience: ISSUER });

const warnings = (entries: Record<string, unknown>[]) =>
  entries.filter((e) => e.level === 40 && typeof e.issuer === 'string');

describe('a trusted issuer whose JWKS cannot be fetched', () => {
  let upstream: Upstream;
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  let b: RunningBaton;
  const { log, entries } = capturedLog('info');

  beforeAll(async () => {
    upstream = await makeUpstream();
    jwks = await jwksServer(upstream);
    const config = testConfig(upstream, (raw) => {
      const [issuer] = raw.trustedIssuers as Record<string, unknown>[];
      delete issuer?.jwks;
      if (issuer) issuer.jwksUri = jwks.uri;
      // Every failure logged here (interval 0), so each cause can be read; a short timeout.
      raw.upstreamJwks = { timeoutMs: 300, warnIntervalSeconds: 0 };
    });
    b = await startBaton(config, { log });
  });
  afterAll(async () => {
    await b?.close();
    await jwks?.close();
  });
  beforeEach(() => {
    entries.length = 0;
  });

  test.each([
    ['error500', 'the JWKS endpoint answered HTTP 500'],
    ['html', 'the response is not JSON'],
    ['not-a-jwks', 'the response is not a JSON Web Key Set'],
    ['hang', 'no answer within 300 ms'],
  ] as const)('%s: 503 temporarily_unavailable with Retry-After; warns "%s"', async (mode, why) => {
    jwks.set(mode);
    const r = await startTask(b.url, await upstream.userToken());
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('temporarily_unavailable');
    expect(String(r.body.error_description)).toContain(upstream.issuer);
    expect(r.headers.get('retry-after')).toBe(String(DEFAULTS.retryAfterSeconds));
    const w = warnings(entries);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ issuer: upstream.issuer, jwksUri: jwks.uri, cause: why });
  });

  test('answering again, tokens verify; a kid in no fetched set is invalid_request', async () => {
    jwks.set('ok');
    expect((await startTask(b.url, await upstream.userToken())).status).toBe(200);

    const { privateKey } = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const unknownKid = await new SignJWT({ scope: 'tickets:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'not-published', typ: 'at+jwt' })
      .setIssuer(upstream.issuer)
      .setSubject('alice@example.com')
      .setAudience(ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
    const r = await startTask(b.url, unknownKid);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    expect(String(r.body.error_description)).toContain('no published key matches its kid');
    expect(warnings(entries)).toHaveLength(0);
  });
});

describe('the real oidc-provider, its JWKS gone', () => {
  test('a valid user token gets 503, and one warning per issuer per interval', async () => {
    const idp = await startDemoIdp({ audience: ISSUER });
    const userToken = (
      await idp.issueUserToken('alice@example.com', 'alice-demo-password', 'tickets:read')
    ).access_token;
    const upstream = await makeUpstream(idp.issuer);
    const config = testConfig(upstream, (raw) => {
      raw.trustedIssuers = [
        { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: ISSUER, algorithms: ['ES256'] },
      ];
    });
    expect(config.upstreamJwks.warnIntervalSeconds).toBe(DEFAULTS.upstreamJwksWarnIntervalSeconds);
    const { log, entries } = capturedLog('info');
    const b = await startBaton(config, { log });
    try {
      await idp.close();
      for (let i = 0; i < 3; i++) {
        const r = await startTask(b.url, userToken);
        expect(r.status).toBe(503);
        expect(r.body.error).toBe('temporarily_unavailable');
        expect(r.headers.get('retry-after')).toBe(String(DEFAULTS.retryAfterSeconds));
      }
      const w = warnings(entries);
      expect(w).toHaveLength(1);
      expect(w[0]).toMatchObject({
        issuer: idp.issuer,
        cause: 'connection refused (ECONNREFUSED)',
      });
      expect(String(w[0]?.msg)).toContain(idp.issuer);
      // The per-request 503 lines are debug, below the info level: the log is not flooded.
      expect(entries.filter((e) => (e.level as number) >= 40)).toHaveLength(1);
      expect(JSON.stringify(entries)).not.toContain(userToken);
    } finally {
      await b.close();
    }
  });
});
