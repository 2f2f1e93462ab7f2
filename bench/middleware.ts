/**
 * `npm run bench:middleware`: the resource-server verifier (packages/resource-server) in local
 * mode against a real Baton (memory store) with the feed attached, in one process. Not part of
 * the quick CI bench; asserts nothing, prints JSON. Scenarios (docs/performance.md):
 * - 1,000 distinct live tool tokens × 20 uses each (goal ≥ 20,000 checks/s);
 * - distinct tokens only (every check a signature verify) against raw jose `jwtVerify` in the
 *   same run (goal ≥ 80% of it);
 * - DPoP-bound: a fresh proof per check (a proof verify per request cannot be cached);
 * - revocation seen by the verifier after `POST /revoke` answers (goal p99 ≤ 50 ms).
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createVerifier, type BatonVerifier } from '../packages/resource-server/src/index.js';
import {
  claimsOf,
  dpopExchange,
  dpopKey,
  exchangeOk,
  ISSUER,
  mintWithBatonKey,
  revokeAs,
  SECRETS,
  startTaskToken,
  startTestBaton,
  TICKETS,
} from '../test/support/index.js';
import { REDIS_STORE_DEFAULTS } from '../src/config/defaults.js';
import { RedisStore } from '../src/store/redis/redis-store.js';
import { makeUpstream, startBaton, startRedisServer, testConfig } from '../test/support/index.js';
import { quantile, round } from './stats.js';

const quick = process.argv.includes('--quick');
const log = (m: string) => process.stderr.write(`bench:middleware ${m}\n`);
const URL_ = 'https://tools.test/tickets/items';
const CONCURRENCY = 32;

/** Runs `n` checks with `CONCURRENCY` in flight; returns checks per second. */
async function rate(n: number, check: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await check(next++);
    }),
  );
  return (n / (performance.now() - t0)) * 1000;
}

const bearer = (token: string) => ({
  method: 'GET',
  url: URL_,
  headers: { authorization: `Bearer ${token}` },
});

/** From the moment `POST /revoke` answers until the verifier refuses the token: p50/p99/max ms. */
async function revocationLatency(
  url: string,
  verifier: () => BatonVerifier,
  mint: (n: number) => Promise<string[]>,
  k: number,
) {
  const v = verifier();
  await v.ready();
  const lat: number[] = [];
  const victims = await mint(k);
  for (const t of victims) {
    await v.verify(bearer(t));
    await revokeAs(url, 'support-agent', t);
    const t0 = performance.now();
    for (;;) {
      const refused = await v.verify(bearer(t)).then(
        () => false,
        () => true,
      );
      if (refused) break;
      await new Promise((r) => setImmediate(r));
    }
    lat.push(performance.now() - t0);
  }
  await v.close();
  return {
    n: k,
    p50: round(quantile(lat, 0.5), 2),
    p99: round(quantile(lat, 0.99), 2),
    max: round(Math.max(...lat), 2),
  };
}

async function main() {
  const { upstream, b, url } = await startTestBaton();
  const verifier = (): BatonVerifier =>
    createVerifier({
      issuer: ISSUER,
      resource: TICKETS,
      batonUrl: url,
      credentials: { clientId: 'tickets-rs', clientSecret: SECRETS['tickets-rs'] },
    });
  // Tokens issued in the second of Baton's start are re-checked once (the policy event at boot):
  // start the measures after it, as a long-running deployment would be.
  await new Promise((r) => setTimeout(r, 1100));
  const task = await startTaskToken(url, upstream);
  const mint = async (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++)
      out.push(
        (
          await exchangeOk(url, 'support-agent', {
            subject_token: task,
            resource: TICKETS,
            scope: 'tickets:read',
          })
        ).token,
      );
    return out;
  };
  const reps = quick ? 1 : 3;
  const out: Record<string, unknown> = { machine: 'shared 2-core VM, loaded by other sessions' };

  log('minting 1,000 live tool tokens');
  const live = await mint(1000);
  const reuse: number[] = [];
  for (let r = 0; r < reps; r++) {
    const v = verifier();
    await v.ready();
    reuse.push(await rate(20_000, (i) => v.verify(bearer(live[i % 1000]!))));
    await v.close();
  }
  out.reuse_1000x20_checks_per_s = reuse.map((x) => round(x, 0));

  // Distinct only: tokens the verifier has never seen, signed as Baton signs (same claims, new jti).
  const n = quick ? 2000 : 6000;
  const base = claimsOf(live[0]!);
  const distinct = async () => {
    const ts: string[] = [];
    for (let i = 0; i < n; i++)
      ts.push(
        await mintWithBatonKey(b.baton, {
          ...base,
          iat: Math.floor(Date.now() / 1000),
          jti: `bench-${Math.random()}-${i}`,
        }),
      );
    return ts;
  };
  const jwks = createLocalJWKSet(
    b.baton.ctx.keys.jwks() as Parameters<typeof createLocalJWKSet>[0],
  );
  const mw: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < reps; r++) {
    const a = await distinct();
    const c = await distinct();
    const v = verifier();
    await v.ready();
    await v.verify(bearer(live[0]!)); // the JWKS is fetched once, outside the measure
    const ours = () => rate(n, (i) => v.verify(bearer(a[i]!)));
    const jose = () =>
      rate(n, (i) => jwtVerify(c[i]!, jwks, { issuer: ISSUER, audience: TICKETS, typ: 'at+jwt' }));
    // Alternate which goes first, so the machine's drift does not favour one side.
    if (r % 2 === 0) {
      mw.push(await ours());
      raw.push(await jose());
    } else {
      raw.push(await jose());
      mw.push(await ours());
    }
    await v.close();
  }
  out.distinct_checks_per_s = mw.map((x) => round(x, 0));
  out.raw_jose_verify_per_s = raw.map((x) => round(x, 0));
  out.distinct_vs_raw = mw.map((x, i) => round(x / raw[i]!, 2));

  // DPoP-bound: one bound tool token, a fresh proof per check (signed before the measure).
  const key = await dpopKey();
  const htu = `${ISSUER}/token`;
  const start = await dpopExchange(
    url,
    'support-agent',
    { subject_token: await upstream.userToken(), audience: ISSUER },
    await key.proof('POST', htu),
  );
  const boundTool = (
    await dpopExchange(
      url,
      'support-agent',
      {
        subject_token: start.body.access_token as string,
        resource: TICKETS,
        scope: 'tickets:read',
      },
      await key.proof('POST', htu),
    )
  ).body.access_token as string;
  const m = quick ? 1000 : 4000;
  const dpop: number[] = [];
  for (let r = 0; r < reps; r++) {
    const proofs: string[] = [];
    for (let i = 0; i < m; i++)
      proofs.push(await key.proof('GET', URL_, { accessToken: boundTool }));
    const v = verifier();
    await v.ready();
    dpop.push(
      await rate(m, (i) =>
        v.verify({
          method: 'GET',
          url: URL_,
          headers: { authorization: `DPoP ${boundTool}`, dpop: proofs[i]! },
        }),
      ),
    );
    await v.close();
  }
  out.dpop_bound_checks_per_s = dpop.map((x) => round(x, 0));

  out.revocation_seen_ms = await revocationLatency(url, verifier, mint, quick ? 30 : 200);
  await b.close();

  // The same on the Redis store (a private redis-server): the event takes one pub/sub hop more.
  const redis = await startRedisServer();
  try {
    const store = await RedisStore.connect({
      ...REDIS_STORE_DEFAULTS,
      url: redis.url,
      prefix: 'bench:mw:',
    });
    const up = await makeUpstream();
    const rb = await startBaton(testConfig(up), { store });
    const r = { url: rb.url, b: rb };
    try {
      await new Promise((res) => setTimeout(res, 1100));
      const rTask = await startTaskToken(r.url, up);
      const rMint = async (k: number) => {
        const ts: string[] = [];
        for (let i = 0; i < k; i++)
          ts.push(
            (
              await exchangeOk(r.url, 'support-agent', {
                subject_token: rTask,
                resource: TICKETS,
                scope: 'tickets:read',
              })
            ).token,
          );
        return ts;
      };
      const rVerifier = () =>
        createVerifier({
          issuer: ISSUER,
          resource: TICKETS,
          batonUrl: r.url,
          credentials: { clientId: 'tickets-rs', clientSecret: SECRETS['tickets-rs'] },
        });
      out.revocation_seen_ms_redis = await revocationLatency(
        r.url,
        rVerifier,
        rMint,
        quick ? 30 : 200,
      );
    } finally {
      await r.b.close();
      await store.close();
    }
  } finally {
    await redis.stop();
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench:middleware failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
