/**
 * Reading the docs as data, for the docs tests: the pages, their fenced blocks, links and heading
 * anchors. Anchors follow GitHub's rule (lower-case, punctuation dropped, spaces to hyphens, a
 * repeated heading gets -1, -2, …), since that is where the links are followed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every page a reader is sent to: the landing page, the house files and docs/. */
export function docPages(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', ...docs.sort()];
}

export function readPage(page: string): string {
  return readFileSync(path.join(ROOT, page), 'utf8');
}

export interface Block {
  lang: string;
  body: string;
  /** The reason of a `<!-- not-run: reason -->` comment on the line before the fence. */
  notRun?: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Fenced blocks in order, and the text outside them (for links and inline code). */
export function parse(text: string): { blocks: Block[]; prose: string } {
  const lines = text.split('\n');
  const at = (n: number): string => lines[n] ?? '';
  const blocks: Block[] = [];
  const prose: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(at(i));
    if (!open) {
      prose.push(at(i));
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(at(i)); i++) body.push(at(i));
    const before =
      lines
        .slice(0, start)
        .reverse()
        .find((l) => l.trim() !== '') ?? '';
    const notRun = /^<!-- not-run: (.+?) -->$/.exec(before.trim())?.[1];
    blocks.push({ lang: open[1] ?? '', body: body.join('\n'), notRun, line: start + 1 });
  }
  return { blocks, prose: prose.join('\n') };
}

export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a page's headings make. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of parse(text).prose.split('\n')) {
    const h = /^#{1,6} (.+)$/.exec(line);
    if (!h) continue;
    const base = slug(h[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links `[text](target)` outside code blocks and inline code. */
export function relativeLinks(text: string): string[] {
  const prose = parse(text).prose.replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** Inline code spans and the bodies of shell blocks: where a command is named. */
export function commandText(text: string): string {
  const { blocks, prose } = parse(text);
  const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  const shell = blocks.filter((b) => b.lang === 'sh' || b.lang === 'bash').map((b) => b.body);
  return [...spans, ...shell].join('\n');
}
