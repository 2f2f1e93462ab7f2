import { availableParallelism } from 'node:os';
import type { ThreadPoolSetting } from '../config/defaults.js';

/**
 * Whether Baton computes its signatures (signing its tokens, checking DPoP proofs' signatures) on
 * libuv's thread pool, through node:crypto's callback form, or inline on the event loop. On the
 * pool the event loop spends ≈7 µs handing off an ES256 sign (≈27 µs inline) and ≈12 µs a verify
 * (≈75 µs), and the work runs on another core; with one core there is no other core and the
 * hand-off is pure cost, so `auto` offloads only when the process may run on more than one CPU.
 * That count is the CPU affinity (sched_getaffinity): a container's CPU quota is not visible to
 * it, so where a quota leaves Baton one core, say `off`. The setting is the process's because the
 * pool is; boot sets it from the config.
 */
let offloaded = availableParallelism() > 1;

export function setSignatureThreadPool(
  setting: ThreadPoolSetting,
  cpus: number = availableParallelism(),
): boolean {
  offloaded = setting === 'on' || (setting === 'auto' && cpus > 1);
  return offloaded;
}

export const signaturesOffloaded = (): boolean => offloaded;
