/**
 * Builds the admin console (console/) into static assets Baton serves at /console:
 * dist/console/{index.html, app.js, app.css}. esbuild (already here through tsx) bundles Preact
 * and the console's source into one file: no CDN, nothing fetched at run time, no inline script.
 *   npx tsx scripts/build-console.ts [outDir]
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));

export async function buildConsole(outDir = join(root, 'dist/console')): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(root, 'console/src/main.tsx') },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: outDir,
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'console/src/app.css'), join(outDir, 'app.css'));
  copyFileSync(join(root, 'console/index.html'), join(outDir, 'index.html'));
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  await buildConsole(process.argv[2]);
