/**
 * `signatures.threadPool` (src/keys/offload.ts): where it puts the work (seen through async_hooks),
 * and that both places sign tokens jose verifies and check DPoP proofs' signatures alike, for every
 * algorithm Baton signs with or accepts in a proof; a tampered signature fails on both.
 */
import { createHook } from 'node:async_hooks';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify, SignJWT } from 'jose';
import { verifyCompactJws } from '../../src/auth/jws-signature.js';
import { generateKeyFile, KeySet } from '../../src/keys/keyset.js';
import { setSignatureThreadPool, signaturesOffloaded } from '../../src/keys/offload.js';
import type { BatonClaims } from '../../src/tokens/claims.js';
import { signToken } from '../../src/tokens/mint.js';
import { ISSUER, makeUpstream, TICKETS, testConfig } from '../support/fixtures.js';

afterAll(() => setSignatureThreadPool('auto'));

describe('the setting', () => {
  test('auto offloads only with more than one CPU; on and off are what they say', () => {
    expect(setSignatureThreadPool('auto', 1)).toBe(false);
    expect(signaturesOffloaded()).toBe(false);
    expect(setSignatureThreadPool('auto', 2)).toBe(true);
    expect(signaturesOffloaded()).toBe(true);
    expect(setSignatureThreadPool('off', 16)).toBe(false);
    expect(setSignatureThreadPool('on', 1)).toBe(true);
  });

  test('the config: auto by default, on/off accepted, anything else refused by its field', async () => {
    const up = await makeUpstream();
    expect(testConfig(up).signatures.threadPool).toBe('auto');
    const off = testConfig(up, (raw) => {
      raw.signatures = { threadPool: 'off' };
    });
    expect(off.signatures.threadPool).toBe('off');
    expect(() =>
      testConfig(up, (raw) => {
        raw.signatures = { threadPool: 'sometimes' };
      }),
    ).toThrow(/signatures\.threadPool/);
  });
});

/**
 * How many node:crypto sign/verify jobs ran `fn`'s work on the thread pool: a job run inline is
 * created (a SIGNREQUEST) but never calls back; one run on the pool enters its callback.
 */
async function poolJobsDuring(fn: () => Promise<unknown>): Promise<number> {
  const jobs = new Set<number>();
  let calledBack = 0;
  const hook = createHook({
    init(id, type) {
      if (type === 'SIGNREQUEST') jobs.add(id);
    },
    before(id) {
      if (jobs.has(id)) calledBack++;
    },
  }).enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  return calledBack;
}

const claims = (now: number): BatonClaims => ({
  iss: ISSUER,
  sub: 'alice',
  aud: TICKETS,
  exp: now + 300,
  iat: now,
  nbf: now,
  jti: 'j',
  client_id: 'c',
  scope: 's',
  txn: 't',
  act: { sub: 'c' },
  lineage: { anc: [], st: [1] },
});

describe.each(['on', 'off'] as const)('signatures.threadPool: %s', (setting) => {
  beforeAll(() => setSignatureThreadPool(setting));

  test(`the sign and the proof verify run ${setting === 'on' ? 'on the thread pool' : 'inline'}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-offload-'));
    try {
      await generateKeyFile(dir, 'ES256');
      const ks = await KeySet.fromDir(dir, 900);
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const proof = await new SignJWT({ htm: 'POST' })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt' })
        .sign(privateKey);
      const jobs = await poolJobsDuring(async () => {
        await signToken(ks, claims(Math.floor(Date.now() / 1000)));
        expect(await verifyCompactJws(proof, 'ES256', publicKey)).toEqual({ htm: 'POST' });
      });
      expect(jobs).toBe(setting === 'on' ? 2 : 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each(['ES256', 'EdDSA', 'RS256'] as const)(
    'a %s key signs tokens that verify against the published JWKS',
    async (alg) => {
      const dir = mkdtempSync(join(tmpdir(), 'baton-offload-'));
      try {
        const f = await generateKeyFile(dir, alg);
        const ks = await KeySet.fromDir(dir, 900);
        const now = Math.floor(Date.now() / 1000);
        const token = await signToken(ks, claims(now));
        const { payload, protectedHeader } = await jwtVerify(
          token,
          createLocalJWKSet(ks.jwks() as JSONWebKeySet),
          { issuer: ISSUER, audience: TICKETS, typ: 'at+jwt' },
        );
        expect(protectedHeader).toMatchObject({ alg, kid: f.kid, typ: 'at+jwt' });
        expect(payload).toMatchObject(claims(now));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  const proofKeys: [string, KeyObject, KeyObject][] = [
    ['ES256', ...pair(generateKeyPairSync('ec', { namedCurve: 'P-256' }))],
    ['EdDSA', ...pair(generateKeyPairSync('ed25519'))],
    ['PS256', ...pair(generateKeyPairSync('rsa', { modulusLength: 2048 }))],
  ];

  test.each(proofKeys)(
    'a %s proof: its signature verifies; one flipped bit in it, or another key, does not',
    async (alg, privateKey, publicKey) => {
      const jws = await new SignJWT({ htm: 'POST' })
        .setProtectedHeader({ alg, typ: 'dpop+jwt' })
        .sign(privateKey);
      expect(await verifyCompactJws(jws, alg, publicKey)).toEqual({ htm: 'POST' });
      const sig = Buffer.from(jws.slice(jws.lastIndexOf('.') + 1), 'base64url');
      sig.writeUInt8(sig.readUInt8(0) ^ 1, 0);
      const tampered = `${jws.slice(0, jws.lastIndexOf('.') + 1)}${sig.toString('base64url')}`;
      expect(await verifyCompactJws(tampered, alg, publicKey)).toBeUndefined();
      const other = freshPublic(alg);
      expect(await verifyCompactJws(jws, alg, other)).toBeUndefined();
    },
  );
});

function pair(k: { privateKey: KeyObject; publicKey: KeyObject }): [KeyObject, KeyObject] {
  return [k.privateKey, k.publicKey];
}

function freshPublic(alg: string): KeyObject {
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519').publicKey;
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
}
