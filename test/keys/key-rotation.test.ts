import { STORE_LIMITS } from '../../src/config/defaults.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose';
import { signToken } from '../../src/tokens/mint.js';
import { generateKeyFile, KeySet, readKeyFiles } from '../../src/keys/keyset.js';
import {
  ISSUER,
  TICKETS,
  exchange,
  introspectAs,
  makeUpstream,
  startBaton,
  startTaskToken,
  testConfig,
} from '../support/fixtures.js';

describe('signing keys and rotation', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a staged key is published before it signs; the old key keeps signing until then', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await generateKeyFile(dir, 'ES256', now - 10);
    const staged = await generateKeyFile(dir, 'ES256', now + 60);
    const ks = await KeySet.fromDir(dir, 900);
    expect(ks.signingKey().kid).toBe(old.kid);
    expect(
      ks
        .jwks()
        .keys.map((k) => k.kid)
        .sort(),
    ).toEqual([old.kid, staged.kid].sort());
    expect(ks.signingKey(now + 61).kid).toBe(staged.kid);
  });

  test('a superseded key stays published for one token lifetime, then is retired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await generateKeyFile(dir, 'ES256', now - 1000);
    const next = await generateKeyFile(dir, 'ES256', now - 100);
    const ks = await KeySet.fromDir(dir, 900);
    expect(ks.published(now).map((k) => k.kid)).toEqual([old.kid, next.kid]);
    expect(ks.published(now + 801).map((k) => k.kid)).toEqual([next.kid]);
    expect(ks.verificationKey(old.kid, now + 801)).toBeUndefined();
  });

  test('EdDSA and RS256 keys can be generated on request and sign verifiable JWKS entries', async () => {
    await generateKeyFile(dir, 'EdDSA');
    await generateKeyFile(dir, 'RS256');
    const algs = readKeyFiles(dir).map((f) => [f.alg, f.publicJwk.kty]);
    expect(algs.sort()).toEqual([
      ['EdDSA', 'OKP'],
      ['RS256', 'RSA'],
    ]);
    for (const f of readKeyFiles(dir)) expect(f.publicJwk.d).toBeUndefined();
  });

  test.each(['ES256', 'EdDSA', 'RS256'] as const)(
    'a %s key signs tokens that verify against the published JWKS',
    async (alg) => {
      const f = await generateKeyFile(dir, alg);
      const ks = await KeySet.fromDir(dir, 900);
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: ISSUER,
        sub: 'u',
        aud: TICKETS,
        exp: now + 60,
        iat: now,
        nbf: now,
        jti: 'j',
        client_id: 'c',
        scope: 's',
        txn: 't',
        act: { sub: 'c' },
        lineage: { anc: [], st: [1] },
      };
      const token = await signToken(ks, claims);
      const { payload, protectedHeader } = await jwtVerify(
        token,
        createLocalJWKSet(ks.jwks() as JSONWebKeySet),
        { issuer: ISSUER, audience: TICKETS, typ: 'at+jwt' },
      );
      expect(protectedHeader).toMatchObject({ alg, kid: f.kid, typ: 'at+jwt' });
      expect(payload).toMatchObject(claims);
    },
  );

  test('rotation without restart: a token signed by the old key still introspects after the new key signs', async () => {
    const up = await makeUpstream();
    const config = testConfig(up);
    const now = Math.floor(Date.now() / 1000);
    const old = await generateKeyFile(dir, 'ES256', now - 10);
    const keys = await KeySet.fromDir(dir, config.defaults.taskTtlSeconds);
    const b = await startBaton(config, { keys });
    try {
      const task = await startTaskToken(b.url, up);
      const tool = (
        await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })
      ).body.access_token as string;
      expect(decodeProtectedHeader(tool).kid).toBe(old.kid);

      // Stage a new key that is already due, and reload as the timer / SIGHUP would.
      const fresh = await generateKeyFile(dir, 'ES256', now - 1);
      await keys.reload();
      const jwks = (await (await fetch(`${b.url}/jwks`)).json()) as {
        keys: { kid: string; alg: string; use: string }[];
      };
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual([old.kid, fresh.kid].sort());
      for (const k of jwks.keys) expect(k).toMatchObject({ alg: 'ES256', use: 'sig' });

      const tool2 = (
        await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })
      ).body.access_token as string;
      expect(decodeProtectedHeader(tool2).kid).toBe(fresh.kid);
      expect(await introspectAs(b.url, 'tickets-rs', tool)).toMatchObject({ active: true });
      expect(await introspectAs(b.url, 'tickets-rs', tool2)).toMatchObject({ active: true });
      // Both verify against the published JWKS, as a resource server checking locally would.
      const remote = createRemoteJWKSet(new URL(`${b.url}/jwks`));
      for (const t of [tool, tool2])
        await expect(
          jwtVerify(t, remote, { issuer: ISSUER, audience: TICKETS }),
        ).resolves.toBeDefined();
    } finally {
      await b.close();
    }
  });

  test('two instances reading one key source agree on the signing key and verify each other', async () => {
    const up = await makeUpstream();
    const config = testConfig(up);
    await generateKeyFile(dir);
    const { MemoryStore } = await import('../../src/store/memory/memory-store.js');
    const store = new MemoryStore(STORE_LIMITS);
    const a = await startBaton(config, { store, keys: await KeySet.fromDir(dir, 900) });
    const b = await startBaton(config, { store, keys: await KeySet.fromDir(dir, 900) });
    try {
      const task = await startTaskToken(a.url, up);
      const tool = (
        await exchange(b.url, 'support-agent', { subject_token: task, resource: TICKETS })
      ).body.access_token as string;
      expect(await introspectAs(a.url, 'tickets-rs', tool)).toMatchObject({ active: true });
    } finally {
      await a.close();
      await b.close();
      await store.close();
    }
  });
});
