/**
 * `npm run bench:dpop`: a DPoP-bound exchange (task token bound to the agent's key → tool token,
 * a fresh ES256 proof per request, RFC 9449) beside the bearer exchange and the peer's
 * client_credentials, each server in its own process (bench/children.ts), one Redis. Prints
 * req/s, p50/p99 and the ratios; the goal is a bound exchange ≥ 1.2× the peer. Asserts nothing.
 *
 * Proofs are signed before the runs (a proof's jti is single-use): a pool large enough for the
 * runs, one per request. All three scenarios run on the lean driver of bench/raw-load.ts (one
 * pre-rendered string per request), because autocannon's per-request `setupRequest` made the
 * load generator, not Baton, the limit of the bound run. `--cpu-prof` profiles Baton during it.
 */
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
import { driveRaw, rawPost } from './raw-load.js';
import { postForm } from './http.js';
import * as spec from './specs.js';
import { round } from './stats.js';
import { benchRateLimits } from './options.js';
import { formatProfile, summariseProfile } from './profile.js';

const quick = process.argv.includes('--quick');
const cpuProf = process.argv.includes('--cpu-prof');
const settings = { connections: 16, durationSec: quick ? 2 : 10, warmupSec: quick ? 1 : 2 };
const log = (m: string) => process.stderr.write(`bench:dpop ${m}\n`);

type Scenario = () => string;

/** Warm-up, then the measured run (with `around` hooks, for a profile), on the lean driver. */
async function measure(
  url: URL,
  next: Scenario,
  around: { before?: () => Promise<unknown>; after?: () => Promise<unknown> } = {},
) {
  if (settings.warmupSec > 0) await driveRaw(url, next, settings.connections, settings.warmupSec);
  await around.before?.();
  const res = await driveRaw(url, next, settings.connections, settings.durationSec);
  await around.after?.();
  if (res.non2xx > res.requests * 0.01)
    throw new Error(`${url.pathname}: ${res.non2xx} non-2xx of ${res.requests}`);
  return { rps: res.rps, p50_ms: res.p50_ms, p99_ms: res.p99_ms };
}

/** Single-use proofs, signed before the runs so the load generator does no signing while it measures. */
async function proofPool(key: Awaited<ReturnType<typeof dpopKey>>, htu: string, n: number) {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await key.proof('POST', htu));
  return out;
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
      // The limits are measured by the main bench (`--rate-limits on`); here they stay out of the way.
      rateLimits: benchRateLimits(false),
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
    const tokenUrl = new URL(`${A.url}/token`);
    const form = (task: string) => spec.exchangeRequest(spec.TEST_CAST, task);
    const bearerReq = rawPost(
      tokenUrl,
      { 'content-type': FORM, authorization: form(bearerTask).authorization },
      form(bearerTask).body,
    );
    results.bearer_exchange = await measure(tokenUrl, () => bearerReq);
    // Generous: 8,000 req/s over warm-up and run; past it proofs repeat and count as refusals.
    const proofs = await proofPool(
      key,
      `${ISSUER}/token`,
      Math.ceil((settings.warmupSec + settings.durationSec) * 8000),
    );
    let i = 0;
    const boundForm = form(boundTask);
    // --cpu-prof: Baton's profile during the measured bound run (bench/profiles/dpop.cpuprofile).
    const path = 'bench/profiles/dpop-exchange.cpuprofile';
    results.dpop_exchange = await measure(
      tokenUrl,
      () =>
        rawPost(
          tokenUrl,
          {
            'content-type': FORM,
            authorization: boundForm.authorization,
            dpop: proofs[i++ % proofs.length]!,
          },
          boundForm.body,
        ),
      cpuProf
        ? {
            before: () => A.call('prof-start', { intervalUs: 250 }),
            after: () => A.call('prof-stop', { path }),
          }
        : {},
    );
    if (cpuProf)
      process.stdout.write(
        `${formatProfile(summariseProfile(path), 'Baton during the DPoP-bound exchange')}\n`,
      );
    const peerSpec = spec.peerTokenSpec(peer.url);
    const peerUrl = new URL(peerSpec.url);
    const peerReq = rawPost(peerUrl, peerSpec.headers ?? {}, peerSpec.body ?? '');
    results.peer_client_credentials = await measure(peerUrl, () => peerReq);
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
