/**
 * Who used the CPU during a measured run: cores used by each process (all its threads), from
 * /proc/<pid>/stat. On a 2-core machine the load generator, Redis and the server under test share
 * the cores, so "what bounds it" is read here, next to the profile. Linux only; elsewhere empty.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function ticks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return undefined;
  }
}

export type CpuSnapshot = { at: number; ticks: Record<string, number | undefined> };

export function snapshot(pids: Record<string, number>): CpuSnapshot {
  const t: Record<string, number | undefined> = {};
  for (const [name, pid] of Object.entries(pids)) t[name] = ticks(pid);
  return { at: performance.now(), ticks: t };
}

/** Cores used by each process between two snapshots (1.0 = one core busy the whole time). */
export function coresUsed(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const secs = (b.at - a.at) / 1000;
  const out: Record<string, number> = {};
  for (const [name, t0] of Object.entries(a.ticks)) {
    const t1 = b.ticks[name];
    if (t0 !== undefined && t1 !== undefined && secs > 0)
      out[name] = Number(((t1 - t0) / TICKS_PER_SECOND / secs).toFixed(2));
  }
  return out;
}
