/**
 * What both stores share about reading the marks page by page: how a cursor moves past a page,
 * and reading every live mark (tests and tools; the marks cache reads incrementally).
 */
import type { MarkStore } from './store.js';
import type { MarkCursor, MarkEntry, MarkReadOptions, Marks } from './types.js';

/** The cursor after `page`, read from `from` (marks oldest first). */
export function cursorAfter(from: MarkCursor | undefined, page: readonly MarkEntry[]): MarkCursor {
  const last = page[page.length - 1];
  if (!last) return from ?? { stamp: 0, seen: 0 };
  let seen = 0;
  for (let i = page.length - 1; i >= 0 && page[i]?.stamp === last.stamp; i--) seen++;
  // Marks read before this page with the same stamp were skipped by `seen`: count them too.
  if (from && from.stamp === last.stamp && seen === page.length) seen += from.seen;
  return { stamp: last.stamp, seen };
}

/** Folds marks into the latest stamp per agent, per user and for everyone. */
export function foldMarks(into: Marks, page: readonly MarkEntry[]): Marks {
  for (const m of page) {
    if (m.kind === 'all') into.all = Math.max(into.all, m.stamp);
    else {
      const map = m.kind === 'agent' ? into.agents : into.users;
      map.set(m.id, Math.max(m.stamp, map.get(m.id) ?? 0));
    }
  }
  return into;
}

/** Every live mark, page by page. */
export async function readAllMarks(
  store: Pick<MarkStore, 'readMarks'>,
  opts: MarkReadOptions,
): Promise<Marks> {
  const marks: Marks = { agents: new Map(), users: new Map(), all: 0 };
  let cursor: MarkCursor | undefined;
  for (;;) {
    const page = await store.readMarks(cursor, opts);
    foldMarks(marks, page.marks);
    cursor = page.next;
    if (!page.more) return marks;
  }
}
