import { STORE_LIMITS } from '../../src/config/defaults.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
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

  // That each alg's key signs tokens the published JWKS verifies, with the sign inline and on the
  // thread pool: test/keys/signature-thread-pool.test.ts.

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
