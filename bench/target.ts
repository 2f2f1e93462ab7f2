/**
 * A server under test, one per process (spawned by bench/children.ts over IPC):
 *
 * - `baton`: Baton booted in this process with `bootBaton(config, { keys, log: silent })` on the
 *   bench's Redis. Besides serving HTTP it runs, on request, the in-process ceiling (scenario 8:
 *   the same exchange the /token route does, called directly), samples its own RSS, and takes a
 *   CPU profile (the V8 sampling profiler `--cpu-prof` uses, started and stopped on request so
 *   the profile covers exactly one measured run).
 * - `peer`: oidc-provider (bench/peer.ts).
 * - `raw`: a bare node:http server answering a small JSON: the machine's HTTP ceiling.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bootBaton, type BatonInstance } from '../src/boot.js';
import { parseConfig } from '../src/config/load.js';
import { KeySet, type KeyFile } from '../src/keys/keyset.js';
import { createLogger } from '../src/log.js';
import { parseForm } from '../src/http/form.js';
import { introspectHandler } from '../src/http/routes/introspect.js';
import { tokenHandler } from '../src/http/routes/token.js';
import type { ChildMessage } from './children.js';
import { startPeer, type Peer } from './peer.js';
import { LatencySample } from './stats.js';

interface InitMessage {
  type: 'init';
  kind: 'baton' | 'peer' | 'raw';
  name: string;
  init: unknown;
}
interface CallMessage {
  type: 'call';
  id: number;
  op: string;
  args?: unknown;
}

export interface BatonInit {
  rawConfig: Record<string, unknown>;
  /** A key given in process; without it, the config's key directory (the deployed config's). */
  keyFile?: KeyFile;
}

export interface InProcessArgs {
  /** 'exchange' runs what POST /token does; 'introspect' what POST /introspect does. */
  what: 'exchange' | 'introspect';
  /** The same form body and Authorization header the HTTP scenario sends. */
  body: string;
  authorization: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Hard bound on calls, whatever the duration. */
  maxCalls: number;
}

export interface InProcessResult {
  calls: number;
  errors: number;
  firstError?: string;
  durationMs: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

export interface RssReport {
  samples: number;
  max_mb: number;
  mean_mb: number;
  heap_used_max_mb: number;
}

const send = (m: ChildMessage): void => {
  process.send?.(m);
};
const MB = 1024 * 1024;

let closeTarget: () => Promise<void> = async () => {};
const ops = new Map<string, (args: unknown) => Promise<unknown>>();

// ---- generic ops -------------------------------------------------------------------------

let rssTimer: NodeJS.Timeout | undefined;
let rss: number[] = [];
let heap: number[] = [];
ops.set('rss-start', async (args) => {
  const every = (args as { intervalMs?: number } | undefined)?.intervalMs ?? 100;
  rss = [];
  heap = [];
  if (rssTimer) clearInterval(rssTimer);
  rssTimer = setInterval(() => {
    const m = process.memoryUsage();
    if (rss.length < 100_000) {
      rss.push(m.rss);
      heap.push(m.heapUsed);
    }
  }, every);
  rssTimer.unref();
  return true;
});
ops.set('rss-stop', async (): Promise<RssReport> => {
  if (rssTimer) clearInterval(rssTimer);
  rssTimer = undefined;
  const m = process.memoryUsage();
  if (rss.length === 0) {
    rss.push(m.rss);
    heap.push(m.heapUsed);
  }
  return {
    samples: rss.length,
    max_mb: Math.max(...rss) / MB,
    mean_mb: rss.reduce((a, b) => a + b, 0) / rss.length / MB,
    heap_used_max_mb: Math.max(...heap) / MB,
  };
});
ops.set('memory-after-gc', async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss_mb: m.rss / MB, heap_used_mb: m.heapUsed / MB };
});
ops.set('memory', async () => {
  const m = process.memoryUsage();
  return { rss_mb: m.rss / MB, heap_used_mb: m.heapUsed / MB, external_mb: m.external / MB };
});

let profiler: Session | undefined;
ops.set('prof-start', async (args) => {
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', {
    interval: (args as { intervalUs?: number } | undefined)?.intervalUs ?? 250,
  });
  await profiler.post('Profiler.start');
  return true;
});
ops.set('prof-stop', async (args) => {
  if (!profiler) throw new Error('profiler not started');
  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  profiler = undefined;
  const path = (args as { path: string }).path;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(profile));
  return path;
});

// ---- baton ------------------------------------------------------------------------------

async function startBatonTarget(init: BatonInit): Promise<string> {
  const config = parseConfig(init.rawConfig, 'bench');
  const keys = init.keyFile
    ? await KeySet.fromFiles([init.keyFile], config.defaults.taskTtlSeconds)
    : undefined;
  const baton: BatonInstance = await bootBaton(config, {
    ...(keys ? { keys } : {}),
    log: createLogger('silent'),
  });
  const url = await baton.listen(0, '127.0.0.1');
  closeTarget = () => baton.close();
  ops.set('in-process', (args) => inProcess(baton, args as InProcessArgs));
  ops.set('marks-fresh', async () => baton.ctx.marks.isFresh());
  // Scenario 9 asks whether a Cedar policy set is actually in force (not only accepted by the schema).
  ops.set('policy-loaded', async () => {
    const policy = (
      baton.ctx as { policy?: { current(): { version?: string } | undefined } }
    ).policy?.current();
    return policy ? { loaded: true, version: policy.version ?? '' } : { loaded: false };
  });
  return url;
}

/**
 * Scenario 8: what the lean lane's route does, minus the socket: the same form parser
 * (`parseForm`) and the same handler the route calls (`tokenHandler`, `introspectHandler`), then
 * the answer serialised. Up to `concurrency` calls in flight, for a bounded time and a bounded
 * number of calls.
 */
async function inProcess(baton: BatonInstance, a: InProcessArgs): Promise<InProcessResult> {
  const { ctx } = baton;
  const headers = { authorization: a.authorization };
  const exchange = tokenHandler(ctx);
  const introspect = introspectHandler(ctx);
  const once = async (): Promise<void> => {
    const form = parseForm(a.body);
    if (a.what === 'exchange') {
      JSON.stringify((await exchange(headers, form)).response);
    } else {
      const r = await introspect(headers, form);
      if (!r.active) throw new Error('token introspected inactive');
      JSON.stringify(r);
    }
  };
  const phase = async (
    ms: number,
    sample?: LatencySample,
  ): Promise<{ calls: number; errors: number; firstError?: string; durationMs: number }> => {
    const start = performance.now();
    const deadline = start + ms;
    let calls = 0;
    let errors = 0;
    let firstError: string | undefined;
    const worker = async (): Promise<void> => {
      while (performance.now() < deadline && calls < a.maxCalls) {
        calls++;
        const t0 = performance.now();
        try {
          await once();
          sample?.add(performance.now() - t0);
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: a.concurrency }, worker));
    return {
      calls,
      errors,
      ...(firstError ? { firstError } : {}),
      durationMs: performance.now() - start,
    };
  };
  await phase(a.warmupMs);
  const sample = new LatencySample();
  const r = await phase(a.durationMs, sample);
  return {
    ...r,
    rps: (r.calls - r.errors) / (r.durationMs / 1000),
    p50_ms: sample.quantile(0.5),
    p99_ms: sample.quantile(0.99),
  };
}

// ---- raw --------------------------------------------------------------------------------

async function startRawTarget(): Promise<string> {
  const body = '{"ok":true}';
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': body.length,
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(0, '127.0.0.1', () => r());
  });
  closeTarget = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// ---- wiring -----------------------------------------------------------------------------

async function start(m: InitMessage): Promise<string> {
  if (m.kind === 'baton') return startBatonTarget(m.init as BatonInit);
  if (m.kind === 'raw') return startRawTarget();
  const peer: Peer = await startPeer();
  closeTarget = () => peer.close();
  return peer.url;
}

async function close(): Promise<void> {
  if (profiler) {
    try {
      await profiler.post('Profiler.stop');
    } catch {
      /* nothing to save */
    }
  }
  await closeTarget();
}

process.on('message', (raw: InitMessage | CallMessage) => {
  if (raw.type === 'init') {
    start(raw).then(
      (url) => send({ type: 'ready', url }),
      (e: unknown) => {
        send({ type: 'fatal', error: (e as Error).stack ?? String(e) });
        process.exit(1);
      },
    );
    return;
  }
  if (raw.op === 'close') {
    const done = (): never => process.exit(0);
    const t = setTimeout(done, 5_000);
    t.unref();
    close().finally(done);
    return;
  }
  const op = ops.get(raw.op);
  if (!op) {
    send({ type: 'reply', id: raw.id, ok: false, error: `unknown op ${raw.op}` });
    return;
  }
  op(raw.args).then(
    (result) => send({ type: 'reply', id: raw.id, ok: true, result }),
    (e: unknown) => send({ type: 'reply', id: raw.id, ok: false, error: (e as Error).message }),
  );
});
// The bench is gone (crashed or killed): never outlive it.
process.on('disconnect', () => process.exit(0));
