import cluster from 'node:cluster';
import { loadConfigFile, type Env } from '../config/load.js';
import { nodeFlagsToAdd } from './v8-flags.js';

/**
 * `baton serve --workers N` (or BATON_WORKERS=N): one process per core behind one port
 * (node:cluster). Workers are instances like any other, so they need the shared store (Redis)
 * and key source a multi-instance deployment needs; the demo and the memory store refuse.
 * Returns true in the primary (which only supervises), false in a worker (which serves).
 */
export function forkWorkers(count: number, env: Env = process.env): boolean {
  if (!cluster.isPrimary) return false;
  if (!env.BATON_CONFIG) throw new Error('--workers needs BATON_CONFIG: the demo runs one process');
  const config = loadConfigFile(env.BATON_CONFIG, env);
  if (config.store.kind !== 'redis')
    throw new Error('--workers needs the Redis store: workers share nothing else');
  let stopping = false;
  // Each worker is a new Node process: it gets the heap flags Baton recommends (v8-flags.ts)
  // unless the operator chose their own.
  cluster.setupPrimary({
    execArgv: [...process.execArgv, ...nodeFlagsToAdd(process.execArgv, env.NODE_OPTIONS)],
  });
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    process.stderr.write(`baton worker ${worker.process.pid} exited (${code}); starting another\n`);
    cluster.fork();
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // SIGHUP reloads keys and policy in every worker.
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
  });
  return true;
}
