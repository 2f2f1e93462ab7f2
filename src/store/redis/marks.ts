import { cursorAfter } from '../mark-pages.js';
import type { MarkStore } from '../store.js';
import type { MarkCursor, MarkEntry, MarkKind, MarkPage, MarkReadOptions } from '../types.js';
import { guarded, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

const MARK_FIELD: Record<MarkKind, (id: string) => string> = {
  agent: (id) => `a:${id}`,
  user: (id) => `u:${id}`,
  all: () => 'all',
};

function entryOf(field: string, stamp: number): MarkEntry | undefined {
  if (field === 'all') return { kind: 'all', id: '*', stamp };
  if (field.startsWith('a:')) return { kind: 'agent', id: field.slice(2), stamp };
  if (field.startsWith('u:')) return { kind: 'user', id: field.slice(2), stamp };
  return undefined;
}

/**
 * Cross-task marks: one hash (field per agent / user, value the stamp, from Redis TIME) and a
 * sorted set of the same fields scored by stamp, changed together by one script. A reader pages
 * from the stamp it last read (ZRANGEBYSCORE ... LIMIT), never the whole hash, and each read
 * first drops a bounded number of marks older than one task lifetime (src/store/redis/mark-scripts.ts).
 */
export class RedisMarks implements MarkStore {
  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
  ) {}

  private get keys(): [string, string, string] {
    return [this.k.marks(), this.k.marksIndex(), this.k.marksMeta()];
  }

  putMark(kind: MarkKind, id: string): Promise<number> {
    return guarded(async () =>
      Number(await this.client.batonMark(...this.keys, MARK_FIELD[kind](id))),
    );
  }

  readMarks(after: MarkCursor | undefined, opts: MarkReadOptions): Promise<MarkPage> {
    return guarded(async () => {
      const from = after ?? { stamp: 0, seen: 0 };
      const args = [from.stamp, from.seen, opts.limit, opts.maxAgeSeconds * 1_000_000] as const;
      let res = await this.client.batonReadMarks(...this.keys, ...args);
      if (res[0] === 'unindexed') {
        await this.indexOldMarks(opts);
        res = await this.client.batonReadMarks(...this.keys, ...args);
      }
      if (res[0] !== 'ok') throw new Error('the marks index could not be built');
      const [, epoch, pruned, cut, rows] = res;
      const marks: MarkEntry[] = [];
      for (let i = 0; i + 1 < rows.length; i += 2) {
        const m = entryOf(rows[i] as string, Number(rows[i + 1]));
        if (m) marks.push(m);
      }
      return {
        marks,
        // A foreign field in the hash still moves the cursor past it.
        next: cursorAfter(Number(cut) === 1 ? undefined : after, rowsAsMarks(rows)),
        more: rows.length / 2 === opts.limit || Number(pruned) === opts.limit,
        epoch,
      };
    });
  }

  /**
   * Marks written before the index existed (an older Baton): index them page by page (HSCAN),
   * dropping the expired ones, then note it in meta. Runs once per store, not per refresh.
   */
  private async indexOldMarks(opts: MarkReadOptions): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.client.hscan(this.k.marks(), cursor, 'COUNT', opts.limit);
      const fields = flat.filter((_, i) => i % 2 === 0);
      if (fields.length > 0)
        await this.client.batonIndexMarks(...this.keys, opts.maxAgeSeconds * 1_000_000, ...fields);
      cursor = next;
      await new Promise((r) => setImmediate(r));
    } while (cursor !== '0');
    await this.client.hset(this.k.marksMeta(), 'indexed', '1');
  }
}

/** Rows as stamp-only entries, for moving the cursor. */
function rowsAsMarks(rows: string[]): MarkEntry[] {
  const out: MarkEntry[] = [];
  for (let i = 0; i + 1 < rows.length; i += 2)
    out.push({ kind: 'all', id: '', stamp: Number(rows[i + 1]) });
  return out;
}
