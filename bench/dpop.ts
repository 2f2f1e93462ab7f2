/**
 * `npm run bench:dpop`: a DPoP-bound exchange (task token bound to the agent's key → tool token,
 * a fresh ES256 proof per request, RFC 9449) beside the bearer exchange and the peer's
 * client_credentials, each server in its own process (bench/children.ts), one Redis. Prints
 * req/s, p50/p99 and the ratios; the goal is a bound exchange ≥ 1.2× the peer. Asserts nothing.
 *
 * Proofs are signed before each run (a proof's jti is single-use): a pool large enough for the
 * run, handed out one per request by autocannon's setupRequest, so the load generator does no
 * signing while it measures.
 */
import autocannon from 'autocannon';
import {
  FORM,
  ISSUER,
  makeUpstream,
  rawTestConfig,
  startRedisServer,
} from '../test/support/index.js';
import { dpopKey } from '../test/support/dpop.js';
import { createKey } from '../src/keys/keyset.js';
import { prepareTargets, removeBuild } from './build.js';
import { setTargetRuntime, spawnTarget, stopAllChildren } from './children.js';
import { drive, type LoadResult } from './load.js';
import { postForm } from './http.js';
import * as spec from './specs.js';
import { round } from './stats.js';

const quick = process.argv.includes('--quick');
const settings = { connections: 16, durationSec: quick ? 2 : 10, warmupSec: quick ? 1 : 2 };
const log = (m: string) => process.stderr.write(`bench:dpop ${m}\n`);

async function boundRun(url: string, taskToken: string, key: Awaited<ReturnType<typeof dpopKey>>) {
  const htu = `${ISSUER}/token`;
  const r = spec.exchangeRequest(spec.TEST_CAST, taskToken);
  // Generous: 6,000 req/s for the run's whole length, warm-up included.
  const pool = async (seconds: number) => {
    const n = Math.ceil(seconds * 6000);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await key.proof('POST', htu));
    return out;
  };
  const once = (proofs: string[], seconds: number) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      let i = 0;
      autocannon(
        {
          url: `${url}/token`,
          connections: settings.connections,
          duration: seconds,
          requests: [
            {
              method: 'POST',
              headers: { 'content-type': FORM, authorization: r.authorization },
              body: r.body,
              setupRequest: (req) => ({
                ...req,
                headers: { ...req.headers, dpop: proofs[i++ % proofs.length]! },
              }),
            },
          ],
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });
  if (settings.warmupSec > 0) await once(await pool(settings.warmupSec), settings.warmupSec);
  const res = await once(await pool(settings.durationSec), settings.durationSec);
  const ok = res.requests.total - res.non2xx;
  if (res.non2xx > res.requests.total * 0.01)
    throw new Error(`bound exchange: ${res.non2xx} non-2xx of ${res.requests.total}`);
  return { rps: ok / res.duration, p50_ms: res.latency.p50, p99_ms: res.latency.p99 };
}

async function main(): Promise<void> {
  const runtime = await prepareTargets(false);
  setTargetRuntime(runtime);
  const redis = await startRedisServer();
  try {
    const upstream = await makeUpstream();
    const keyFile = await createKey('ES256');
    const rawConfig = {
      ...rawTestConfig(upstream),
      store: { kind: 'redis', url: redis.url, prefix: 'bench:' },
    };
    const [A, peer] = await Promise.all([
      spawnTarget('baton', 'baton-A', { rawConfig, keyFile }),
      spawnTarget('peer', 'peer', {}),
    ]);
    const key = await dpopKey();
    const bound = await postForm(
      `${A.url}/token`,
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token: await upstream.userToken(),
        audience: ISSUER,
      },
      {
        authorization: spec.agentAuth(spec.TEST_CAST),
        dpop: await key.proof('POST', `${ISSUER}/token`),
      },
    );
    const boundTask = String(bound.access_token);
    const bearerTask = await spec.startTaskOn(A.url, spec.TEST_CAST, await upstream.userToken());
    const results: Record<string, { rps: number; p50_ms: number; p99_ms: number }> = {};
    const bearer: LoadResult = await drive(
      spec.exchangeSpec(A.url, spec.TEST_CAST, bearerTask),
      settings,
    );
    results.bearer_exchange = bearer;
    results.dpop_exchange = await boundRun(A.url, boundTask, key);
    results.peer_client_credentials = await drive(spec.peerTokenSpec(peer.url), settings);
    for (const [k, v] of Object.entries(results))
      log(
        `${k.padEnd(24)} ${round(v.rps, 1)} req/s  p50 ${round(v.p50_ms, 2)} ms  p99 ${round(v.p99_ms, 2)} ms`,
      );
    const peerRps = results.peer_client_credentials!.rps;
    log(`dpop / peer = ${round(results.dpop_exchange!.rps / peerRps, 2)}× (goal ≥ 1.2×)`);
    log(`dpop / bearer = ${round(results.dpop_exchange!.rps / results.bearer_exchange!.rps, 2)}×`);
  } finally {
    await stopAllChildren();
    await redis.stop();
    removeBuild();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    void stopAllChildren().finally(() => process.exit(1));
  },
);
