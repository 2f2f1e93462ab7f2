import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for the process `baton` runs in, applied before anything compiles WebAssembly:
 * imported first by the CLI's entry (baton.ts). Embedders of Baton's library make their own
 * choice. A flag the operator passed (`node --flag` or `NODE_OPTIONS`) wins over ours.
 */

/** Our V8 flags, each with why (measured on Node 20, the demo policy set, the deployed bench). */
export const BATON_V8_FLAGS: readonly { flag: string; why: string }[] = [
  {
    // The Cedar engine's module (4.3 MB of wasm) is compiled once, by the optimising compiler,
    // instead of by the baseline compiler and then again, both kept: 66 MB less RSS at idle
    // (176 → 110 MB), Cedar decisions as fast (uncached 127 → 139 µs, trivial 25 → 20 µs: noise).
    flag: '--no-liftoff',
    why: 'compile WebAssembly once',
  },
  {
    // Old space may grow by half of what survived the last mark-compact before the next one,
    // not by V8's default factor (up to 4× under a high allocation rate): RSS under the
    // exchange load 157 → 149–156 MiB at the same req/s.
    flag: '--heap-growing-percent=50',
    why: 'collect old space sooner',
  },
];

/** The flag's name: `--heap-growing-percent=50` → `--heap-growing-percent`; `--no-x` → `--x`. */
function flagName(arg: string): string {
  const name = arg.split('=')[0] ?? arg;
  return name.replace(/^--no-/, '--').replace(/_/g, '-');
}

/**
 * Flags V8 reads once, when it sets up the heap, so they must be on Node's command line: the
 * Dockerfile's CMD, `npm start`, and the workers `serve --workers` forks (workers.ts) pass them.
 * A young generation of 2 × 8 MB semi-spaces instead of Node's 2 × 16 MB: RSS under the deployed
 * bench's exchange load 148–156 → 139–142 MiB (2 × 4 MB: 124–132 MiB, but ~8% more CPU a
 * request, scavenging twice as often). docs/performance.md, "Memory".
 */
export const BATON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

function operatorFlags(execArgv: readonly string[], nodeOptions: string): Set<string> {
  return new Set(
    [...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName),
  );
}

/** The flags of ours the operator did not set themselves (in execArgv or NODE_OPTIONS). */
export function flagsToApply(execArgv: readonly string[], nodeOptions = ''): string[] {
  const theirs = operatorFlags(execArgv, nodeOptions);
  return BATON_V8_FLAGS.map((f) => f.flag).filter((f) => !theirs.has(flagName(f)));
}

/** BATON_NODE_FLAGS the operator did not set: what a forked worker's command line adds. */
export function nodeFlagsToAdd(execArgv: readonly string[], nodeOptions = ''): string[] {
  const theirs = operatorFlags(execArgv, nodeOptions);
  return BATON_NODE_FLAGS.filter((f) => !theirs.has(flagName(f)));
}

for (const flag of flagsToApply(process.execArgv, process.env.NODE_OPTIONS)) {
  setFlagsFromString(flag);
}
