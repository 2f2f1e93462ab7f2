/**
 * Redis memory per live token as the deployed Baton writes it (issue 20): real tasks and tool
 * tokens issued over HTTP by the deployed instance (Cedar policy loaded, so each record carries
 * the context a policy re-decides it with; audit on), then `INFO memory` before and after, with
 * the audit streams taken apart by `MEMORY USAGE` (each task's event stream, and the growth of
 * the global one), so "per token" is the token record plus its share of the task record and the
 * task index, and audit is its own figure.
 */
import { keys } from '../src/store/redis/keys.js';
import type { RedisProbe } from './seed.js';
import * as spec from './specs.js';

export interface DeployedMemory {
  tasks: number;
  tokens: number;
  bytes_per_token: number;
  audit_bytes_per_token: number;
}

/** `tasks` tasks of 1 task token + `toolsPerTask` tool tokens each, `concurrency` tasks at once. */
export async function measureDeployedMemory(o: {
  url: string;
  cast: spec.BatonCast;
  probe: RedisProbe;
  prefix: string;
  userToken: () => Promise<string>;
  tasks: number;
  toolsPerTask: number;
  concurrency?: number;
}): Promise<DeployedMemory> {
  const k = keys(o.prefix);
  const memUsage = async (key: string) =>
    Number((await o.probe.redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  const txns: string[] = [];
  const users = await Promise.all(Array.from({ length: o.tasks }, () => o.userToken()));
  const globalBefore = await memUsage(k.audit());
  const before = await o.probe.usedMemory();
  let next = 0;
  await Promise.all(
    Array.from({ length: o.concurrency ?? 16 }, async () => {
      while (next < o.tasks) {
        const task = await spec.startTaskOn(o.url, o.cast, users[next++]!);
        const claims = JSON.parse(Buffer.from(task.split('.')[1]!, 'base64url').toString()) as {
          txn: string;
        };
        txns.push(claims.txn);
        for (let i = 0; i < o.toolsPerTask; i++) await spec.toolTokenOn(o.url, o.cast, task);
      }
    }),
  );
  // The audit's global stream is fed in batches: let the last one land.
  await new Promise((r) => setTimeout(r, 1500));
  const after = await o.probe.usedMemory();
  let audit = (await memUsage(k.audit())) - globalBefore;
  for (const txn of txns) audit += await memUsage(k.events(txn));
  const tokens = o.tasks * (1 + o.toolsPerTask);
  return {
    tasks: o.tasks,
    tokens,
    bytes_per_token: (after - before - audit) / tokens,
    audit_bytes_per_token: audit / tokens,
  };
}
