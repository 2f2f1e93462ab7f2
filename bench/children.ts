/**
 * The servers under test each run in their own Node process (bench/target.ts), so the load
 * generator (autocannon, in the bench's own process) never shares an event loop with them:
 * "same box, same run, one process each". The parent talks to a child over the IPC channel:
 * one request, one reply, each bounded in time. Every child is killed when the bench exits,
 * however it exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './stats.js';

export type TargetKind = 'baton' | 'peer' | 'raw';

export interface ChildMessage {
  id?: number;
  type: 'ready' | 'reply' | 'fatal';
  ok?: boolean;
  result?: unknown;
  error?: string;
  url?: string;
}

export interface TargetChild {
  kind: TargetKind;
  name: string;
  pid: number;
  url: string;
  call<T>(op: string, args?: unknown, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

let runtime: { entry: string; execArgv: string[] } = {
  entry: fileURLToPath(new URL('./target.ts', import.meta.url)),
  execArgv: ['--import', 'tsx'],
};
const live = new Set<ChildProcess>();

/** Which module the targets run, and how (compiled JavaScript, or TypeScript under tsx): see build.ts. */
export function setTargetRuntime(r: { entry: string; execArgv: string[] }): void {
  runtime = r;
}

function killAll(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}
process.once('exit', killAll);

export async function stopAllChildren(): Promise<void> {
  killAll();
}

function exited(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((r) => c.once('exit', () => r()));
}

export async function spawnTarget(
  kind: TargetKind,
  name: string,
  init: unknown,
  opts: { execArgv?: string[]; readyTimeoutMs?: number } = {},
): Promise<TargetChild> {
  const child = fork(runtime.entry, [], {
    execArgv: [...runtime.execArgv, '--no-warnings', ...(opts.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  live.add(child);
  child.once('exit', () => live.delete(child));

  let seq = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let readyResolve!: (url: string) => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<string>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'ready') readyResolve(m.url ?? '');
    else if (m.type === 'fatal') {
      const e = new Error(`${name}: ${m.error}`);
      readyReject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    } else if (m.type === 'reply' && m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(new Error(`${name}: ${m.error}`));
    }
  });
  child.once('exit', (code, signal) => {
    const e = new Error(`${name} exited (${signal ?? code})`);
    readyReject(e);
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  });
  child.send({ type: 'init', kind, name, init });
  let url: string;
  try {
    url = await withTimeout(ready, opts.readyTimeoutMs ?? 60_000, `${name} start-up`);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }

  return {
    kind,
    name,
    pid: child.pid ?? -1,
    url,
    call: <T>(op: string, args?: unknown, timeoutMs = 120_000): Promise<T> => {
      const id = ++seq;
      const p = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
      child.send({ type: 'call', id, op, args });
      return withTimeout(p, timeoutMs, `${name}.${op}`) as Promise<T>;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = exited(child);
      try {
        child.send({ type: 'call', id: ++seq, op: 'close' });
      } catch {
        child.kill('SIGKILL');
      }
      // A graceful close writes any pending profile; past 10 s it is killed.
      await withTimeout(gone, 10_000, `${name} shutdown`).catch(() => {
        child.kill('SIGKILL');
      });
      live.delete(child);
    },
  };
}
