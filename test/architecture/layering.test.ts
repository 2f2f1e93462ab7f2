import {
  checkLayers,
  folderCycles,
  nodeOf,
  readSources,
  REPO_ROOT,
  type SourceFile,
} from './layers.js';

const file = (name: string, ...targets: (string | [string, string])[]): SourceFile => ({
  file: name,
  imports: targets.map((t) =>
    Array.isArray(t)
      ? { specifier: t[0], target: t[1] }
      : t.startsWith('src/') || t.startsWith('packages/')
        ? { specifier: `./${t}`, target: t }
        : { specifier: t },
  ),
});

describe('layers of src/ (read from the imports)', () => {
  const sources = readSources(REPO_ROOT);

  test('the reader sees the source tree and its imports', () => {
    const app = sources.find((s) => s.file === 'src/http/app.ts');
    expect(app?.imports.map((i) => i.specifier)).toContain('express');
    expect(app?.imports.some((i) => i.target === 'src/errors.ts')).toBe(true);
    // Dynamic imports count too: boot.ts loads the Redis store lazily.
    const boot = sources.find((s) => s.file === 'src/boot.ts');
    expect(boot?.imports.some((i) => i.target === 'src/store/redis/redis-store.ts')).toBe(true);
  });

  test('no rule is broken: no folder cycle, express only in http/, ioredis only in store/redis/, no async hooks, tokens/ below the decisions, protocol/ and the SDK packages apart', () => {
    expect(checkLayers(sources)).toEqual([]);
  });
});

describe('the layering checker (synthetic graphs: it can fail)', () => {
  test('a file directly in src/ is its own node; a folder is one node', () => {
    expect(nodeOf('src/boot.ts')).toBe('src/boot.ts');
    expect(nodeOf('src/exchange/hand-off.ts')).toBe('src/exchange');
    expect(nodeOf('src/policy/cedar/engine.ts')).toBe('src/policy');
    expect(nodeOf('packages/agent/src/index.ts')).toBe('packages/agent');
  });

  test('reports a cycle between two folders, naming the imports that close it', () => {
    const cycles = folderCycles([
      file('src/exchange/subject.ts', 'src/tokens/claims.ts'),
      file('src/tokens/introspect.ts', 'src/exchange/context.ts'),
    ]);
    expect(cycles).toEqual([
      'src/exchange, src/tokens (src/exchange/subject.ts -> src/tokens/claims.ts; src/tokens/introspect.ts -> src/exchange/context.ts)',
    ]);
  });

  test('reports a cycle through a root file and three folders', () => {
    const cycles = folderCycles([
      file('src/context.ts', 'src/auth/clients.ts'),
      file('src/auth/clients.ts', 'src/policy/ceilings.ts'),
      file('src/policy/ceilings.ts', 'src/context.ts'),
      file('src/http/app.ts', 'src/context.ts'),
    ]);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatch(/^src\/auth, src\/context\.ts, src\/policy \(/);
  });

  test('imports inside one folder and downward chains are no cycle', () => {
    expect(
      checkLayers([
        file('src/exchange/a.ts', 'src/exchange/b.ts', 'src/tokens/claims.ts'),
        file('src/exchange/b.ts', 'src/exchange/a.ts'),
        file('src/http/app.ts', 'src/exchange/a.ts', 'express'),
        file('src/tokens/claims.ts', 'src/protocol/claims.ts', 'jose'),
      ]),
    ).toEqual([]);
  });

  test('refuses express outside src/http/ and ioredis outside src/store/redis/', () => {
    expect(
      checkLayers([
        file('src/exchange/a.ts', 'express'),
        file('src/store/memory/m.ts', 'ioredis'),
        file('src/store/redis/r.ts', 'ioredis'),
        file('packages/resource-server/src/adapters/express.ts', 'express'),
      ]),
    ).toEqual([
      'src/exchange/a.ts imports express: express is imported only by src/http/ (and the SDK adapters)',
      'src/store/memory/m.ts imports ioredis: ioredis is imported only by src/store/redis/',
    ]);
  });

  test('refuses async hooks (AsyncLocalStorage) anywhere in src/ or the SDK packages', () => {
    expect(
      checkLayers([
        file('src/store/deadline.ts', 'node:async_hooks'),
        file('packages/resource-server/src/a.ts', 'async_hooks'),
        file('test/keys/signature-thread-pool.test.ts', 'node:async_hooks'),
      ]),
    ).toEqual([
      'src/store/deadline.ts imports node:async_hooks: no async hooks on the request path: carry request scope explicitly (src/scope.ts)',
      'packages/resource-server/src/a.ts imports async_hooks: no async hooks on the request path: carry request scope explicitly (src/scope.ts)',
    ]);
  });

  test('refuses tokens/ importing a decision (exchange, introspection, http)', () => {
    const out = checkLayers([
      file(
        'src/tokens/mint.ts',
        'src/exchange/issue.ts',
        'src/introspection/x.ts',
        'src/http/y.ts',
        'src/keys/keyset.ts',
      ),
    ]);
    expect(out).toHaveLength(3);
    expect(out.every((l) => l.includes('tokens/ is below every decision'))).toBe(true);
  });

  test('refuses protocol/ importing anything outside itself, packages included', () => {
    const out = checkLayers([
      file('src/protocol/feed.ts', 'src/protocol/errors.ts', 'src/store/store.ts', 'zod'),
    ]);
    expect(out).toEqual([
      'src/protocol/feed.ts imports ./src/store/store.ts: protocol/ has no dependencies outside itself',
      'src/protocol/feed.ts imports zod: protocol/ has no dependencies outside itself',
    ]);
  });

  test('lets protocol/ import only the RFC 8785 canonicalizer and node:crypto among packages', () => {
    const out = checkLayers([
      file('src/protocol/binding.ts', 'canonicalize', 'node:crypto', 'node:fs'),
    ]);
    expect(out).toEqual([
      'src/protocol/binding.ts imports node:fs: protocol/ has no dependencies outside itself',
    ]);
  });

  test('refuses boot.ts imported by anything but cli/ and http/', () => {
    const out = checkLayers([
      file('src/cli/serve.ts', 'src/boot.ts'),
      file('src/exchange/a.ts', 'src/boot.ts'),
    ]);
    expect(out).toEqual([
      'src/exchange/a.ts imports ./src/boot.ts: boot.ts is wiring; only cli/, http/ and the package entry import it',
    ]);
  });

  test('refuses an SDK package importing server code other than the protocol module', () => {
    const out = checkLayers(
      [
        file('packages/agent/src/index.ts', 'packages/agent/src/a.ts', ['@baton/protocol', '']),
        file(
          'packages/agent/src/bad.ts',
          'src/protocol/errors.ts',
          ['baton', ''],
          ['baton/protocol', ''],
        ),
      ].map((s) => ({
        ...s,
        imports: s.imports.map((i) => (i.target === '' ? { specifier: i.specifier } : i)),
      })),
    );
    expect(out).toHaveLength(3);
    expect(out.every((l) => l.startsWith('packages/agent/src/bad.ts'))).toBe(true);
  });
});
