/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes; the Baton target takes the same profile
 * through the inspector for exactly one measured run) and names the hot spots: self time by
 * function, by area (Baton's src/, each package, Node internals, GC), and the inclusive time of
 * Baton's own functions.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotSpot {
  fn: string;
  where: string;
  area: string;
  self_pct: number;
  self_ms: number;
}
export interface ProfileSummary {
  file: string;
  duration_ms: number;
  samples: number;
  top_self: HotSpot[];
  by_area: { area: string; self_pct: number }[];
  baton_inclusive: { fn: string; where: string; total_pct: number }[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function place(url: string): { where: string; area: string } {
  if (!url) return { where: '', area: 'v8/native' };
  let path = url;
  if (url.startsWith('file://')) path = fileURLToPath(url);
  if (url.startsWith('node:')) return { where: url, area: 'node internals' };
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return { where: path.slice(nm + 'node_modules/'.length), area: pkg };
  }
  // Targets run from bench/.build/<pid>/ (build.ts), the CLI from dist/ (npm run build): name
  // the TypeScript source instead.
  const rel = relative(ROOT, path)
    .replace(/^bench\/\.build\/\d+\/(.*)\.js$/, '$1.ts')
    .replace(/^dist\/(.*)\.js$/, 'src/$1.ts');
  if (!rel.startsWith('..'))
    return {
      where: rel,
      area: rel.startsWith('src/')
        ? `baton ${rel.split('/').slice(0, 2).join('/')}`
        : rel.split('/')[0]!,
    };
  return { where: path, area: 'other' };
}

const sources = new Map<string, string[]>();
/** Best-effort line of a named function in a TypeScript source (0 when not found). */
function sourceLine(rel: string, fn: string): number {
  if (!fn) return 0;
  let lines = sources.get(rel);
  if (!lines) {
    try {
      lines = readFileSync(join(ROOT, rel), 'utf8').split('\n');
    } catch {
      lines = [];
    }
    sources.set(rel, lines);
  }
  const name = fn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns = [
    new RegExp(`\\bfunction\\s+${name}\\b`),
    new RegExp(`^\\s*(?:(?:public|private|static|async|get|set)\\s+)*${name}\\s*[(<]`),
    new RegExp(`\\b${name}\\s*[=:]\\s*(?:async\\s*)?(?:\\(|function)`),
  ];
  for (const re of patterns) {
    const i = lines.findIndex((l) => re.test(l));
    if (i >= 0) return i + 1;
  }
  return 0;
}

/**
 * `skipMs`: samples in the profile's first milliseconds are left out (a CLI profiled under
 * `node --cpu-prof` spends its first seconds booting: compiling Cedar's wasm, loading the policy).
 */
export function summariseProfile(file: string, top = 20, skipMs = 0): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  // A sample's time is the gap to the next sample (the last one gets the mean gap).
  const total = (p.endTime - p.startTime) / 1000;
  let elapsed = 0;
  let kept = 0;
  for (let i = 0; i < samples.length; i++) {
    elapsed += (deltas[i] ?? 0) / 1000;
    if (elapsed < skipMs) continue;
    kept++;
    const dt =
      (i + 1 < deltas.length ? deltas[i + 1]! : (total * 1000) / Math.max(1, samples.length)) /
      1000;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + dt);
  }
  const sum = [...self.values()].reduce((a, b) => a + b, 0) || 1;

  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The nearest caller with a script: who a native frame (writev, a crypto job) works for. */
  const jsCaller = (id: number): CpuNode | undefined => {
    for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (n.callFrame.url) return n;
    }
    return undefined;
  };
  const key = (n: CpuNode) =>
    `${n.callFrame.functionName || '(anonymous)'}|${n.callFrame.url}|${n.callFrame.lineNumber}|${n.callFrame.columnNumber}`;
  const selfByFn = new Map<string, { n: CpuNode; ms: number; via?: CpuNode }>();
  const byArea = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const via = n.callFrame.url ? undefined : jsCaller(id);
    const k = key(n) + (via ? `<${key(via)}` : '');
    const e = selfByFn.get(k);
    if (e) e.ms += ms;
    else selfByFn.set(k, { n, ms, ...(via ? { via } : {}) });
    const fn = n.callFrame.functionName;
    const area =
      fn === '(garbage collector)'
        ? 'gc'
        : fn === '(idle)'
          ? 'idle'
          : fn === '(program)'
            ? 'program (native, unattributed)'
            : place(n.callFrame.url).area;
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
  }

  // Inclusive time of Baton functions: a node's subtree, counted once per stack (no double count on recursion).
  const incl = new Map<string, { n: CpuNode; ms: number }>();
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (!place(n.callFrame.url).area.startsWith('baton ')) continue;
      const k = key(n);
      if (seen.has(k)) continue;
      seen.add(k);
      const e = incl.get(k);
      if (e) e.ms += ms;
      else incl.set(k, { n, ms });
    }
  }
  const at = (n: CpuNode) => {
    const where = place(n.callFrame.url).where;
    if (!where) return '';
    // Our code ran transpiled (or as tsx's one-line modules): find the function in the source instead.
    const line = where.endsWith('.ts')
      ? sourceLine(where, n.callFrame.functionName)
      : n.callFrame.lineNumber + 1;
    return line ? `${where}:${line}` : where;
  };
  return {
    file,
    duration_ms: total - skipMs,
    samples: kept,
    top_self: [...selfByFn.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map(({ n, ms, via }) => ({
        fn:
          (n.callFrame.functionName || '(anonymous)') +
          (via ? ` (native, via ${via.callFrame.functionName || '(anonymous)'})` : ''),
        where: via ? at(via) : at(n),
        area: place(n.callFrame.url).area,
        self_pct: (100 * ms) / sum,
        self_ms: ms,
      })),
    by_area: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, ms]) => ({ area, self_pct: (100 * ms) / sum })),
    baton_inclusive: [...incl.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map(({ n, ms }) => ({
        fn: n.callFrame.functionName || '(anonymous)',
        where: at(n),
        total_pct: (100 * ms) / sum,
      })),
  };
}

export function formatProfile(s: ProfileSummary, title: string): string {
  const pct = (x: number) => `${x.toFixed(1).padStart(5)}%`;
  const lines = [
    `${title}: ${s.samples} samples over ${s.duration_ms.toFixed(0)} ms (${s.file})`,
    '  self time by area:',
  ];
  for (const a of s.by_area.slice(0, 14)) lines.push(`    ${pct(a.self_pct)}  ${a.area}`);
  lines.push('  top functions by self time:');
  for (const h of s.top_self) lines.push(`    ${pct(h.self_pct)}  ${h.fn}  ${h.where}`);
  lines.push('  Baton functions by inclusive time:');
  for (const b of s.baton_inclusive.slice(0, 15))
    lines.push(`    ${pct(b.total_pct)}  ${b.fn}  ${b.where}`);
  return lines.join('\n');
}
