/**
 * RFC 9449 §4.3 at /token, one test per rule, each refusal exact (400 `invalid_dpop_proof` with
 * its description), over real HTTP (memory store).
 */
import { KeyObject, sign } from 'node:crypto';
import { calculateJwkThumbprint, SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import {
  claimsOf,
  ISSUER,
  type RunningBaton,
  type Upstream,
  startTestBaton,
} from '../support/fixtures.js';
import { type DpopKey, dpopExchange, dpopKey } from '../support/dpop.js';

let upstream: Upstream;
let b: RunningBaton;
let url: string;
let key: DpopKey;
const HTU = `${ISSUER}/token`;

beforeAll(async () => {
  ({ upstream, b, url } = await startTestBaton());
  key = await dpopKey();
});
afterAll(() => b?.close());

const start = async (proof: string | undefined) =>
  dpopExchange(
    url,
    'support-agent',
    { subject_token: await upstream.userToken(), audience: ISSUER },
    proof,
  );

const refusal = (description: string) => ({
  status: 400,
  body: { error: 'invalid_dpop_proof', error_description: description },
});
const answer = (r: { status: number; body: Record<string, unknown> }) => ({
  status: r.status,
  body: r.body,
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('RFC 9449 §4.3 proof checks at /token', () => {
  it('a valid proof binds the task token (cnf.jkt of the key, token_type DPoP)', async () => {
    const r = await start(await key.proof('POST', HTU));
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('DPoP');
    expect(claimsOf(r.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });

  it('rule 1: refuses two DPoP headers', async () => {
    const p = await key.proof('POST', HTU);
    expect(answer(await start(`${p}, ${await key.proof('POST', HTU)}`))).toEqual(
      refusal('DPoP proof must be exactly one DPoP header'),
    );
  });

  it('rule 2: refuses a proof that is not a JWT', async () => {
    expect(answer(await start('not-a-jwt'))).toEqual(
      refusal('DPoP proof is not a well-formed JWT'),
    );
  });

  it('rule 4: refuses a typ other than dpop+jwt', async () => {
    const p = await key.proof('POST', HTU, { header: { typ: 'JWT' } });
    expect(answer(await start(p))).toEqual(refusal('DPoP proof must have typ dpop+jwt'));
  });

  it('rule 5: refuses alg none', async () => {
    const p = `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })}.${b64({ jti: 'x', htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000) })}.`;
    expect(answer(await start(p))).toEqual(
      refusal('DPoP proof alg must be one of ES256, ES384, EdDSA, Ed25519, PS256, RS256'),
    );
  });

  it('rule 5: refuses a symmetric alg (HS256)', async () => {
    const secret = new Uint8Array(32).fill(7);
    const p = await new SignJWT({
      jti: 'h',
      htm: 'POST',
      htu: HTU,
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({
        alg: 'HS256',
        typ: 'dpop+jwt',
        jwk: { kty: 'oct', k: 'AAAA' } as unknown as JWK,
      })
      .sign(secret);
    expect(answer(await start(p))).toEqual(
      refusal('DPoP proof alg must be one of ES256, ES384, EdDSA, Ed25519, PS256, RS256'),
    );
  });

  it('rule 7: refuses a proof without a jwk header', async () => {
    const p = await new SignJWT({
      jti: 'n',
      htm: 'POST',
      htu: HTU,
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt' })
      .sign(key.privateKey);
    expect(answer(await start(p))).toEqual(
      refusal('DPoP proof must carry the public key as jwk in its header'),
    );
  });

  it('rule 7: refuses a jwk with its private part', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const p = await new SignJWT({
      jti: 'd',
      htm: 'POST',
      htu: HTU,
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk })
      .sign(privateKey);
    expect(answer(await start(p))).toEqual(
      refusal('DPoP proof jwk must be a public key (it has a private part)'),
    );
  });

  it('rule 6: refuses a signature by another key than the jwk', async () => {
    const other = await dpopKey();
    const p = await other.proof('POST', HTU, { header: { jwk: key.jwk } });
    expect(answer(await start(p))).toEqual(
      refusal('DPoP proof signature does not verify with its jwk'),
    );
  });

  it.each(['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'])(
    'rule 6: a proof signed with %s (on the allow-list) verifies and binds',
    async (alg) => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(publicKey);
      const p = await new SignJWT({
        jti: crypto.randomUUID(),
        htm: 'POST',
        htu: HTU,
        iat: Math.floor(Date.now() / 1000),
      })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
        .sign(privateKey);
      const r = await start(p);
      expect(r.status).toBe(200);
      expect(claimsOf(r.body.access_token as string).cnf).toEqual({
        jkt: await calculateJwkThumbprint(jwk, 'sha256'),
      });
      // The same proof with its payload changed no longer verifies.
      const [h, , sig] = p.split('.');
      const forged = `${h}.${b64({ jti: crypto.randomUUID(), htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000) })}.${sig}`;
      expect(answer(await start(forged))).toEqual(
        refusal('DPoP proof signature does not verify with its jwk'),
      );
    },
  );

  it('rule 6: refuses a key that does not fit its alg (an EC key under RS256)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const p = await new SignJWT({
      jti: 'x',
      htm: 'POST',
      htu: HTU,
      iat: Math.floor(Date.now() / 1000),
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'dpop+jwt', jwk: key.jwk })
      .sign(privateKey);
    expect(answer(await start(p))).toEqual(
      refusal('DPoP proof jwk is not a usable public key for its alg'),
    );
  });

  it('refuses a crit header (RFC 7515 §4.1.11: no extension is understood)', async () => {
    // jose will not sign an unknown crit, so the proof is signed by hand.
    const input = `${b64({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, crit: ['x-baton'], 'x-baton': 1 })}.${b64({ jti: 'c', htm: 'POST', htu: HTU, iat: Math.floor(Date.now() / 1000) })}`;
    const sig = sign('sha256', Buffer.from(input), {
      key: KeyObject.from(key.privateKey),
      dsaEncoding: 'ieee-p1363',
    });
    const p = `${input}.${sig.toString('base64url')}`;
    expect(answer(await start(p))).toEqual(
      refusal('DPoP proof must not carry crit (no JWS extension is understood)'),
    );
  });

  it('rule 8: refuses an htm other than the request method', async () => {
    const p = await key.proof('GET', HTU);
    expect(answer(await start(p))).toEqual(refusal('DPoP proof htm must be POST'));
  });

  it('rule 9: refuses an htu of another endpoint', async () => {
    const p = await key.proof('POST', `${ISSUER}/introspect`);
    expect(answer(await start(p))).toEqual(refusal(`DPoP proof htu must be ${HTU}`));
  });

  it('rule 9: ignores the query and fragment of htu', async () => {
    const r = await start(await key.proof('POST', `${HTU}?a=1#f`));
    expect(r.status).toBe(200);
  });

  it('rule 11: refuses an iat older than the window (60 s)', async () => {
    const iat = Math.floor(Date.now() / 1000) - 62;
    expect(answer(await start(await key.proof('POST', HTU, { claims: { iat } })))).toEqual(
      refusal("DPoP proof iat is more than 60s from Baton's clock"),
    );
  });

  it('rule 11: refuses an iat ahead of the window (clock skew the other way)', async () => {
    const iat = Math.floor(Date.now() / 1000) + 62;
    expect(answer(await start(await key.proof('POST', HTU, { claims: { iat } })))).toEqual(
      refusal("DPoP proof iat is more than 60s from Baton's clock"),
    );
  });

  it('rule 11: accepts an iat just inside the window, either way', async () => {
    for (const d of [-55, 55]) {
      const iat = Math.floor(Date.now() / 1000) + d;
      expect((await start(await key.proof('POST', HTU, { claims: { iat } }))).status).toBe(200);
    }
  });

  it('rule 3: refuses a proof without a jti', async () => {
    const p = await key.proof('POST', HTU, { claims: { jti: undefined } });
    expect(answer(await start(p))).toEqual(refusal('DPoP proof must have a jti'));
  });

  it('rule 3: refuses a replayed proof (same jti, same key, same htu)', async () => {
    const p = await key.proof('POST', HTU);
    expect((await start(p)).status).toBe(200);
    expect(answer(await start(p))).toEqual(
      refusal('DPoP proof has been used before (jti replayed)'),
    );
  });

  it('metadata advertises dpop_signing_alg_values_supported', async () => {
    const m = (await (
      await fetch(`${url}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(m.dpop_signing_alg_values_supported).toEqual([
      'ES256',
      'ES384',
      'EdDSA',
      'Ed25519',
      'PS256',
      'RS256',
    ]);
  });
});
