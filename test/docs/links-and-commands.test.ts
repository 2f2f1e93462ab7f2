/**
 * Every page of the docs leads somewhere real: each relative link names a file that exists and,
 * with `#anchor`, a heading of that file; each `baton …` command is one the CLI has
 * (src/cli/commands/) and each `npm run …` is a script in package.json.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { anchors, commandText, docPages, readPage, relativeLinks, ROOT } from './markdown.js';

const pages = docPages();

/** The CLI's commands: top level (`serve`, `keys`, …) and each group's subcommands. */
function cliCommands(): Map<string, Set<string>> {
  // Each group registers itself in a file of its own (src/cli/commands/).
  const dir = path.join(ROOT, 'src/cli/commands');
  const src = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
  const groups = new Map<string, Set<string>>();
  const varOf = new Map<string, string>();
  for (const m of src.matchAll(/(?:const (\w+) = )?(\w+)\s*\.command\('([\w-]+)/g)) {
    const [, assigned, receiver = '', name = ''] = m;
    if (receiver === 'program') {
      groups.set(name, groups.get(name) ?? new Set());
      if (assigned) varOf.set(assigned, name);
    } else {
      const group = varOf.get(receiver);
      if (group) groups.get(group)?.add(name);
    }
  }
  return groups;
}

const scripts = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: object })
    .scripts,
);

describe('the docs pages', () => {
  it('include the landing page, the house files and one page per topic', () => {
    for (const page of pages) expect(existsSync(path.join(ROOT, page))).toBe(true);
    expect(pages).toEqual(
      expect.arrayContaining(
        [
          'README',
          'configuration',
          'tokens',
          'endpoints',
          'errors',
          'revocation',
          'policy',
          'approvals',
          'audit',
          'operations',
          'performance',
          'architecture',
          'troubleshooting',
          'walkthrough',
        ].map((p) => `docs/${p}.md`),
      ),
    );
  });

  it.each(pages)('%s: every relative link resolves to a file and heading that exist', (page) => {
    const broken: string[] = [];
    for (const link of relativeLinks(readPage(page))) {
      const [file, anchor] = link.split('#');
      const target = file ? path.normalize(path.join(path.dirname(page), file)) : page;
      if (!existsSync(path.join(ROOT, target))) {
        broken.push(`${link} (no file ${target})`);
        continue;
      }
      if (anchor !== undefined && target.endsWith('.md') && !anchors(readPage(target)).has(anchor))
        broken.push(`${link} (no heading #${anchor} in ${target})`);
    }
    expect(broken).toEqual([]);
  });

  it.each(pages)('%s: every `baton …` command it names is one the CLI has', (page) => {
    const cli = cliCommands();
    const unknown: string[] = [];
    for (const m of commandText(readPage(page)).matchAll(
      /(?:^|\$ |[(;|&] ?)baton ([a-z][\w-]*)(?: ([a-z][\w|-]*))?/gm,
    )) {
      const [, command = '', sub] = m;
      const subs = cli.get(command);
      if (!subs) {
        unknown.push(`baton ${command}`);
        continue;
      }
      if (subs.size > 0 && sub)
        for (const s of sub.split('|')) if (!subs.has(s)) unknown.push(`baton ${command} ${s}`);
    }
    expect(unknown).toEqual([]);
  });

  it.each(pages)('%s: every `npm run …` script it names is in package.json', (page) => {
    const named = [...commandText(readPage(page)).matchAll(/npm run (?:-\w+ )*([\w:-]+)/g)].map(
      (m) => m[1] ?? '',
    );
    expect(named.filter((s) => !scripts.includes(s))).toEqual([]);
  });

  it('the CLI reading finds the commands the docs rely on (so the check above can fail)', () => {
    const cli = cliCommands();
    expect([...cli.keys()]).toEqual(
      expect.arrayContaining(['keys', 'policy', 'secret', 'serve', 'tasks', 'config', 'init']),
    );
    expect([...(cli.get('tasks') ?? [])]).toEqual(['list', 'show', 'revoke']);
    expect([...(cli.get('keys') ?? [])]).toEqual(
      expect.arrayContaining(['generate', 'list', 'prune']),
    );
    expect([...(cli.get('policy') ?? [])]).toContain('check');
  });
});
