/**
 * `npx tsx bench/workers.ts [--duration S]`: what `baton serve --workers N` gains on this machine.
 * Runs the real CLI (one primary + N workers, node:cluster) on a private redis-server, once with
 * 1 worker and once with 2, and drives the exchange (task token -> tool token) with autocannon.
 * Loopback only; bounded in time; everything it starts is stopped.
 */
import { parseArgs } from 'node:util';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS } from '../src/tokens/claims.js';
import {
  basic,
  exchange,
  ISSUER,
  makeUpstream,
  SECRETS,
  spawnBaton,
  startRedisServer,
  stopAllBatons,
  TICKETS,
  uniquePrefix,
  writeDeployment,
} from '../test/support/index.js';
import { drive } from './load.js';
import { benchRateLimits } from './options.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '8' } } });
const durationSec = Math.min(60, Math.max(1, Number(values.duration)));
const redis = await startRedisServer();
const up = await makeUpstream();
const rows: { workers: number; rps: number; p50_ms: number; p99_ms: number }[] = [];
try {
  for (const workers of [1, 2]) {
    const d = await writeDeployment(up, { url: redis.url, prefix: uniquePrefix() }, (raw) => {
      raw.logLevel = 'warn';
      raw.rateLimits = benchRateLimits(true);
    });
    const b = await spawnBaton(d.configPath, 30_000, ['--workers', String(workers)]);
    try {
      const task = (
        await exchange(b.url, 'support-agent', {
          subject_token: await up.userToken(),
          audience: ISSUER,
        })
      ).body.access_token as string;
      const body = new URLSearchParams({
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token_type: TOKEN_TYPE_ACCESS,
        subject_token: task,
        resource: TICKETS,
      }).toString();
      const r = await drive(
        {
          title: `exchange, ${workers} worker(s)`,
          url: `${b.url}/token`,
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic('support-agent', SECRETS['support-agent']),
          },
          body,
        },
        { connections: 32, durationSec, warmupSec: 2 },
      );
      rows.push({ workers, rps: Math.round(r.rps), p50_ms: r.p50_ms, p99_ms: r.p99_ms });
      console.log(
        `workers=${workers}: ${Math.round(r.rps)} req/s, p50 ${r.p50_ms.toFixed(2)} ms, p99 ${r.p99_ms.toFixed(2)} ms`,
      );
    } finally {
      await stopAllBatons();
      await d.remove();
    }
  }
  console.log(`gain of 2 workers over 1: ${(rows[1]!.rps / rows[0]!.rps).toFixed(2)}x`);
} finally {
  await stopAllBatons();
  await redis.stop();
}
