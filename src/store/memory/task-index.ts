import { epochSeconds } from '../../clock.js';
import type { TaskIndexStore } from '../store.js';
import { type TaskIndexPage, type TaskRecord, taskCursorPosition, taskPosition } from '../types.js';

const encode = (pos: string) => Buffer.from(pos, 'utf8').toString('base64url');

/**
 * The task index of the memory store: the task map itself is the index (one process holds
 * every task), read in the order Redis keeps (newest start first, ties by id).
 */
export class MemoryTaskIndex implements TaskIndexStore {
  constructor(private readonly tasks: () => Iterable<TaskRecord>) {}

  async listTaskIds(
    sinceSec: number,
    cursor: string | undefined,
    limit: number,
  ): Promise<TaskIndexPage> {
    const after = cursor === undefined ? undefined : taskCursorPosition(cursor);
    const positions = [...this.tasks()]
      .filter((t) => t.createdAt >= sinceSec)
      .map((t) => ({ pos: taskPosition(t), txn: t.txn }))
      .filter((p) => after === undefined || p.pos < after)
      .sort((a, b) => (a.pos < b.pos ? 1 : a.pos > b.pos ? -1 : 0));
    const page = positions.slice(0, limit);
    const last = page[page.length - 1];
    return {
      txns: page.map((p) => p.txn),
      ...(positions.length > limit && last ? { next: encode(last.pos) } : {}),
    };
  }

  async countOpenTasks(sinceSec: number): Promise<number> {
    const now = epochSeconds();
    let n = 0;
    for (const t of this.tasks())
      if (t.createdAt >= sinceSec && t.status === 'open' && t.deadline > now) n++;
    return n;
  }
}
