import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The layering rules of src/ (and of the SDK packages under packages/, once they exist), as a
 * pure check over an import graph, plus a reader that builds that graph from the files.
 * Paths are repository-relative with forward slashes (`src/http/app.ts`).
 */

export interface ImportEdge {
  /** The specifier as written (`express`, `../errors.js`). */
  specifier: string;
  /** The repository file it resolves to, for relative specifiers; undefined for packages. */
  target?: string;
}

export interface SourceFile {
  file: string;
  imports: ImportEdge[];
}

/**
 * Files that may import express: the HTTP layer, the SDK's Express and MCP adapters, and the SDK
 * packages' tests (an adapter is tested in a real Express app).
 */
export const EXPRESS_ALLOWED: readonly RegExp[] = [
  /^src\/http\//,
  /^packages\/[^/]+\/src\/adapters\//,
  /^packages\/[^/]+\/test\//,
];
export const IOREDIS_ALLOWED: readonly RegExp[] = [/^src\/store\/redis\//];
/** The wiring that may import boot.ts (and the package entry, which re-exports it). */
export const BOOT_IMPORTERS: readonly RegExp[] = [
  /^src\/cli\//,
  /^src\/http\//,
  /^src\/index\.ts$/,
];
/** The only packages protocol/ may import: what an SDK would need anyway (RFC 8785, SHA-256). */
export const PROTOCOL_PACKAGES: readonly string[] = ['canonicalize', 'node:crypto'];
/** The server's package name: an SDK package never imports it (an agent must not install the broker). */
export const SERVER_PACKAGE = 'baton';
/** What the SDK packages share with the server: src/protocol/, published as its own package. */
export const PROTOCOL_PACKAGE = '@baton/protocol';
/** An SDK package's shipped source (its tests may use the server's harness). */
const SDK_SOURCE = /^packages\/[^/]+\/src\//;

/**
 * The node of the folder graph a file belongs to: a top-level folder of src/ (`src/exchange`),
 * a file directly in src/ on its own (`src/boot.ts`), or one SDK package (`packages/agent`).
 */
export function nodeOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'src' || parts[0] === 'packages')
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : file;
  return parts[0] ?? file;
}

const isPackage = (spec: string, name: string) => spec === name || spec.startsWith(`${name}/`);
const allowed = (file: string, list: readonly RegExp[]) => list.some((re) => re.test(file));

/** Every rule broken by the graph, one line each; empty when the layers hold. */
export function checkLayers(files: readonly SourceFile[]): string[] {
  const out: string[] = [];
  for (const { file, imports } of files) {
    for (const { specifier, target } of imports) {
      const bad = (why: string) => out.push(`${file} imports ${specifier}: ${why}`);
      if (isPackage(specifier, 'express') && !allowed(file, EXPRESS_ALLOWED))
        bad('express is imported only by src/http/ (and the SDK adapters)');
      if (isPackage(specifier, 'ioredis') && !allowed(file, IOREDIS_ALLOWED))
        bad('ioredis is imported only by src/store/redis/');
      // On Node 20 an AsyncLocalStorage (or any async hook) in use runs a hook on every promise
      // the process makes: 10-20 % of an exchange (docs/performance.md). Request scope is explicit.
      if (
        (specifier === 'node:async_hooks' || specifier === 'async_hooks') &&
        (file.startsWith('src/') || file.startsWith('packages/'))
      )
        bad('no async hooks on the request path: carry request scope explicitly (src/scope.ts)');
      if (
        file.startsWith('src/tokens/') &&
        target &&
        /^src\/(exchange|introspection|http)\//.test(target)
      )
        bad('tokens/ is below every decision and must not import exchange, introspection or http');
      if (
        file.startsWith('src/protocol/') &&
        !target?.startsWith('src/protocol/') &&
        !(target === undefined && PROTOCOL_PACKAGES.includes(specifier))
      )
        bad('protocol/ has no dependencies outside itself');
      if (target === 'src/boot.ts' && !allowed(file, BOOT_IMPORTERS))
        bad('boot.ts is wiring; only cli/, http/ and the package entry import it');
      if (SDK_SOURCE.test(file)) {
        if (target && !target.startsWith(file.split('/').slice(0, 2).join('/')))
          bad(
            `an SDK package imports other code only as a package (the server's as ${PROTOCOL_PACKAGE})`,
          );
        if (isPackage(specifier, SERVER_PACKAGE))
          bad(`an SDK package imports nothing of the server but ${PROTOCOL_PACKAGE}`);
      }
    }
  }
  for (const cycle of folderCycles(files)) out.push(`import cycle between ${cycle}`);
  return out;
}

/**
 * Cycles between nodes (see nodeOf), as strongly connected components of more than one node,
 * each with the file imports that close it so the message says where to cut.
 */
export function folderCycles(files: readonly SourceFile[]): string[] {
  const edges = new Map<string, Map<string, string[]>>();
  for (const { file, imports } of files) {
    const from = nodeOf(file);
    for (const { target } of imports) {
      if (!target) continue;
      const to = nodeOf(target);
      if (to === from) continue;
      const byTarget = edges.get(from) ?? new Map<string, string[]>();
      byTarget.set(to, [...(byTarget.get(to) ?? []), `${file} -> ${target}`]);
      edges.set(from, byTarget);
    }
  }
  return stronglyConnected(edges)
    .filter((c) => c.length > 1)
    .map((c) => {
      const inside = new Set(c);
      const via = c.flatMap((n) =>
        [...(edges.get(n) ?? [])].filter(([to]) => inside.has(to)).flatMap(([, why]) => why),
      );
      return `${c.sort().join(', ')} (${via.sort().join('; ')})`;
    });
}

/** Tarjan's algorithm over the folder graph. */
function stronglyConnected(edges: Map<string, Map<string, string[]>>): string[][] {
  const nodes = new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      out.push(component);
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return out;
}

const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

function listSources(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist') return [];
    const rel = posix.join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) return listSources(root, rel);
    return SOURCE.test(name) && !name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** A relative specifier to the file it names (NodeNext: `./x.js` is `./x.ts` in the source). */
function resolve(root: string, from: string, spec: string): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  const candidates = [base, base.replace(/\.(m|c)?js$/, '.$1ts'), `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => existsSync(join(root, c)) && statSync(join(root, c)).isFile());
}

/** Reads every import (static, type-only, re-export and dynamic) of src/** and packages/**. */
export function readSources(root: string): SourceFile[] {
  return [...listSources(root, 'src'), ...listSources(root, 'packages')].map((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const imports = ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }) => {
      if (!fileName.startsWith('.')) return { specifier: fileName };
      const target = resolve(root, file, fileName);
      // An unresolvable relative import still points somewhere under the repo: keep its path.
      return {
        specifier: fileName,
        target: target ?? posix.normalize(posix.join(posix.dirname(file), fileName)),
      };
    });
    return { file, imports };
  });
}

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
