/**
 * Subject and actor tokens that must be refused with invalid_request (RFC 8693 §2.2.2, never
 * invalid_grant), and introspection that answers exactly {"active":false} for each of them
 * (RFC 7662 §2.2: no hint why). Over real HTTP, memory store.
 */
import { generateKeyPair, type CryptoKey } from 'jose';
import {
  basic,
  claimsOf,
  completeTaskAs,
  exchange,
  exchangeOk,
  hmacJwt,
  introspectAs,
  ISSUER,
  makeUpstream,
  mintWithBatonKey,
  publicPem,
  revokeAs,
  SECRETS,
  startBaton,
  startTaskToken,
  tamperPayload,
  testConfig,
  TICKETS,
  unsignedJwt,
  userClaims,
  type ClientId,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';
import { TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';

const nowSec = () => Math.floor(Date.now() / 1000);

let upstream: Upstream;
let untrusted: Upstream;
let stranger: CryptoKey;
let b: RunningBaton;
let url: string;
let batonPem: string;
let batonKid: string;

beforeAll(async () => {
  upstream = await makeUpstream();
  untrusted = await makeUpstream('https://untrusted-idp.test');
  stranger = (await generateKeyPair('ES256')).privateKey;
  b = await startBaton(testConfig(upstream));
  url = b.url;
  const key = b.baton.ctx.keys.signingKey();
  batonKid = key.kid;
  batonPem = publicPem(key.publicJwk);
});
afterAll(() => b?.close());

/** Bad tokens shaped like an upstream token for `sub` (a user, or an agent when used as actor). */
const upstreamCases: [string, (sub: string) => Promise<string>][] = [
  ['a malformed string', async () => 'not-a-jwt'],
  ['a three-part string that is not a JWT', async () => 'abc.def.ghi'],
  ['an expired token', (sub) => upstream.userToken({ sub, expIn: -120 })],
  [
    'a token whose nbf is in the future',
    (sub) => upstream.userToken({ sub, extra: { nbf: nowSec() + 600 } }),
  ],
  [
    'an unsigned token (alg: none)',
    async (sub) => unsignedJwt(userClaims(upstream, { sub }), { kid: 'idp-1' }),
  ],
  [
    'an HS256 token keyed with the upstream’s public key bytes (alg confusion)',
    async (sub) =>
      hmacJwt(userClaims(upstream, { sub }), publicPem(upstream.jwk), { kid: 'idp-1' }),
  ],
  ['a token signed by an unknown key', (sub) => upstream.userToken({ sub, key: stranger })],
  [
    'a token naming a wrong issuer (signed by the trusted upstream)',
    (sub) => upstream.userToken({ sub, iss: 'https://idp.test/other' }),
  ],
  [
    'a token claiming Baton as issuer but signed by the upstream',
    (sub) => upstream.userToken({ sub, iss: ISSUER }),
  ],
  ['a token from an untrusted issuer', (sub) => untrusted.userToken({ sub })],
  [
    'a token for another audience',
    (sub) => upstream.userToken({ sub, aud: 'https://elsewhere.test' }),
  ],
];

/** Bad Baton task tokens whose current actor is `owner`. */
const batonCases: [string, (owner: ClientId) => Promise<string>][] = [
  // isolated-agent's token rewritten to name `owner` as actor, signature kept.
  [
    'a Baton token with a tampered payload',
    async (owner) =>
      tamperPayload(await startTaskToken(url, upstream, 'isolated-agent'), { act: { sub: owner } }),
  ],
  [
    'a Baton token re-encoded with alg: none',
    async (owner) =>
      unsignedJwt({ ...claimsOf(await startTaskToken(url, upstream, owner)) }, { kid: batonKid }),
  ],
  [
    'a Baton token re-signed HS256 with Baton’s public key bytes',
    async (owner) =>
      hmacJwt({ ...claimsOf(await startTaskToken(url, upstream, owner)) }, batonPem, {
        kid: batonKid,
      }),
  ],
  [
    'an expired Baton token',
    async (owner) =>
      mintWithBatonKey(b.baton, {
        ...claimsOf(await startTaskToken(url, upstream, owner)),
        exp: nowSec() - 120,
      }),
  ],
  [
    'a Baton token whose nbf is in the future',
    async (owner) =>
      mintWithBatonKey(b.baton, {
        ...claimsOf(await startTaskToken(url, upstream, owner)),
        nbf: nowSec() + 600,
      }),
  ],
  [
    'a token of a completed task',
    async (owner) => {
      const token = await startTaskToken(url, upstream, owner);
      expect((await completeTaskAs(url, owner, claimsOf(token).txn)).status).toBe(200);
      return token;
    },
  ],
  [
    'a token revoked by its client (POST /revoke)',
    async (owner) => {
      const token = await startTaskToken(url, upstream, owner);
      expect(await revokeAs(url, owner, token)).toBe(200);
      return token;
    },
  ],
];

describe('subject_token refused with invalid_request', () => {
  it('accepts a good user token and a good task token (the contexts below are valid)', async () => {
    expect(
      (
        await exchange(url, 'support-agent', {
          subject_token: await upstream.userToken(),
          audience: ISSUER,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await exchange(url, 'support-agent', {
          subject_token: await startTaskToken(url, upstream),
          resource: TICKETS,
        })
      ).status,
    ).toBe(200);
  });

  it.each(upstreamCases)(
    'refuses as subject on task start: %s (invalid_request)',
    async (_name, build) => {
      const r = await exchange(url, 'support-agent', {
        subject_token: await build('alice@example.com'),
        audience: ISSUER,
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    },
  );

  it.each(batonCases)(
    'refuses as subject for a tool token: %s (invalid_request)',
    async (_name, build) => {
      const r = await exchange(url, 'support-agent', {
        subject_token: await build('support-agent'),
        resource: TICKETS,
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    },
  );

  it.each(batonCases)(
    'refuses as subject for a hand-off: %s (invalid_request)',
    async (_name, build) => {
      const r = await exchange(url, 'billing-agent', {
        subject_token: await build('support-agent'),
        audience: ISSUER,
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    },
  );

  it('refuses a hand-off of a task token whose parent was revoked (invalid_request)', async () => {
    const task = await startTaskToken(url, upstream);
    const delegated = (
      await exchangeOk(url, 'billing-agent', { subject_token: task, audience: ISSUER })
    ).token;
    expect(await revokeAs(url, 'support-agent', task)).toBe(200);
    const r = await exchange(url, 'billing-agent', { subject_token: delegated, resource: TICKETS });
    expect(r.body.error).toBe('invalid_request');
  });
});

describe('actor_token refused with invalid_request', () => {
  // orchestrator may present actor tokens and may hand its task to billing-agent.
  const handOffWithActor = async (actorToken: string) =>
    exchange(url, 'orchestrator', {
      subject_token: await startTaskToken(url, upstream, 'orchestrator'),
      audience: ISSUER,
      actor_token: actorToken,
      actor_token_type: TOKEN_TYPE_ACCESS,
    });

  it('accepts a good upstream actor token and a good Baton actor token naming billing-agent (the context is valid)', async () => {
    expect(
      (await handOffWithActor(await upstream.userToken({ sub: 'billing-agent' }))).status,
    ).toBe(200);
    expect(
      (await handOffWithActor(await startTaskToken(url, upstream, 'billing-agent'))).status,
    ).toBe(200);
  });

  it.each(upstreamCases)('refuses as actor_token: %s (invalid_request)', async (_name, build) => {
    const r = await handOffWithActor(await build('billing-agent'));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it.each(batonCases)('refuses as actor_token: %s (invalid_request)', async (_name, build) => {
    const r = await handOffWithActor(await build('billing-agent'));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });
});

describe('introspection answers exactly {"active":false}', () => {
  const toolToken = async () =>
    (
      await exchangeOk(url, 'support-agent', {
        subject_token: await startTaskToken(url, upstream),
        resource: TICKETS,
      })
    ).token;
  const expectInactive = async (token: string, as: 'tickets-rs' | 'billing-rs' = 'tickets-rs') => {
    const r = await introspectAs(url, as, token);
    expect(r).toStrictEqual({ active: false });
  };

  it('a valid tool token introspects active to its resource server (control)', async () => {
    const token = await toolToken();
    expect(await introspectAs(url, 'tickets-rs', token)).toMatchObject({
      active: true,
      aud: TICKETS,
      client_id: 'support-agent',
      jti: claimsOf(token).jti,
    });
  });

  it.each(upstreamCases)('for %s', async (_name, build) => {
    await expectInactive(await build('alice@example.com'));
  });

  const badToolTokens: [string, () => Promise<string>][] = [
    [
      'a tool token with a tampered payload',
      async () =>
        tamperPayload(await toolToken(), { scope: 'tickets:read tickets:write tickets:admin' }),
    ],
    [
      'a tool token re-encoded with alg: none',
      async () => unsignedJwt({ ...claimsOf(await toolToken()) }, { kid: batonKid }),
    ],
    [
      'a tool token re-signed HS256 with Baton’s public key bytes',
      async () => hmacJwt({ ...claimsOf(await toolToken()) }, batonPem, { kid: batonKid }),
    ],
    [
      'an expired tool token',
      async () =>
        mintWithBatonKey(b.baton, { ...claimsOf(await toolToken()), exp: nowSec() - 120 }),
    ],
    [
      'a tool token whose nbf is in the future',
      async () =>
        mintWithBatonKey(b.baton, { ...claimsOf(await toolToken()), nbf: nowSec() + 600 }),
    ],
    [
      'a tool token of a completed task',
      async () => {
        const token = await toolToken();
        expect((await completeTaskAs(url, 'support-agent', claimsOf(token).txn)).status).toBe(200);
        return token;
      },
    ],
    [
      'a tool token revoked by its client',
      async () => {
        const token = await toolToken();
        expect(await revokeAs(url, 'support-agent', token)).toBe(200);
        return token;
      },
    ],
    [
      'a tool token whose task token was revoked',
      async () => {
        const task = await startTaskToken(url, upstream);
        const token = (
          await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS })
        ).token;
        expect(await revokeAs(url, 'support-agent', task)).toBe(200);
        return token;
      },
    ],
    ['a task token (aud = Baton)', () => startTaskToken(url, upstream)],
  ];

  it.each(badToolTokens)('for %s', async (_name, build) => {
    await expectInactive(await build());
  });

  it('for a tool token introspected by another tool’s resource server', async () => {
    await expectInactive(await toolToken(), 'billing-rs');
  });

  it('refuses an agent calling /introspect (only resource servers introspect)', async () => {
    const res = await fetch(`${url}/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('support-agent', SECRETS['support-agent']),
      },
      body: new URLSearchParams({ token: await toolToken() }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Record<string, unknown>).error).toBe('unauthorized_client');
  });
});
