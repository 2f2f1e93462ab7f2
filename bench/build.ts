/**
 * How the servers under test run. By default as the Dockerfile deploys Baton, as plain
 * JavaScript; with `--tsx`, as `npm start` runs it, TypeScript under `node --import tsx`.
 * Compiled: src/ and bench/
 * are transpiled file by file (esbuild, which tsx ships and uses itself; ~0.2 s) into
 * bench/.build/<pid>/, keeping the tree so `../src/boot.js` imports resolve as written, and the
 * non-TypeScript files of src/ (the Cedar schema, policies) are copied alongside. The CPU cost is
 * the same either way; tsx's loader thread and transform caches add ~40 MB of RSS. If esbuild
 * cannot be loaded, the targets run under tsx and the results say so.
 */
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** One directory per run, so two runs at once (CI and a person) never pull files from under each other. */
export const BUILD_DIR = join(ROOT, 'bench', '.build', String(process.pid));

export interface TargetRuntime {
  mode: 'compiled' | 'tsx';
  /** The module each target process runs. */
  entry: string;
  execArgv: string[];
  note?: string;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

interface EsbuildModule {
  build(options: Record<string, unknown>): Promise<{ errors: unknown[] }>;
}

export async function prepareTargets(compiled: boolean): Promise<TargetRuntime> {
  const tsx: TargetRuntime = {
    mode: 'tsx',
    entry: join(ROOT, 'bench', 'target.ts'),
    execArgv: ['--import', 'tsx'],
  };
  if (!compiled) return tsx;
  let esbuild: EsbuildModule;
  try {
    const spec = 'esbuild'; // tsx's own transpiler; a variable so this file does not need its types
    esbuild = (await import(spec)) as EsbuildModule;
  } catch (e) {
    return {
      ...tsx,
      note: `compiled: esbuild unavailable (${(e as Error).message}); targets under tsx`,
    };
  }
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const files = [
    ...walk(join(ROOT, 'src')),
    ...walk(join(ROOT, 'bench')),
    ...walk(join(ROOT, 'test', 'support')),
  ];
  const ts = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  await esbuild.build({
    entryPoints: ts,
    outdir: BUILD_DIR,
    outbase: ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    sourcemap: false,
    logLevel: 'silent',
  });
  for (const f of files.filter((x) => !x.endsWith('.ts') && relative(ROOT, x).startsWith('src'))) {
    const to = join(BUILD_DIR, relative(ROOT, f));
    mkdirSync(join(to, '..'), { recursive: true });
    cpSync(f, to);
  }
  return { mode: 'compiled', entry: join(BUILD_DIR, 'bench', 'target.js'), execArgv: [] };
}

export function removeBuild(): void {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  try {
    // The parent goes too once no other run uses it.
    if (readdirSync(join(BUILD_DIR, '..')).length === 0)
      rmSync(join(BUILD_DIR, '..'), { recursive: true, force: true });
  } catch {
    /* already gone */
  }
}
