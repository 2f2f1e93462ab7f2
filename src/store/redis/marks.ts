import type { MarkStore } from '../store.js';
import type { MarkKind, Marks } from '../types.js';
import { guarded, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

const MARK_FIELD: Record<MarkKind, (id: string) => string> = {
  agent: (id) => `a:${id}`,
  user: (id) => `u:${id}`,
  all: () => 'all',
};

/** Cross-task marks: one hash, one field per agent / user, stamped by Redis TIME. */
export class RedisMarks implements MarkStore {
  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
  ) {}

  putMark(kind: MarkKind, id: string): Promise<number> {
    return guarded(async () =>
      Number(await this.client.batonMark(this.k.marks(), MARK_FIELD[kind](id))),
    );
  }

  loadMarks(): Promise<Marks> {
    return guarded(async () => {
      const raw = await this.client.hgetall(this.k.marks());
      const marks: Marks = { agents: new Map(), users: new Map(), all: 0 };
      for (const [f, v] of Object.entries(raw)) {
        if (f === 'all') marks.all = Number(v);
        else if (f.startsWith('a:')) marks.agents.set(f.slice(2), Number(v));
        else if (f.startsWith('u:')) marks.users.set(f.slice(2), Number(v));
      }
      return marks;
    });
  }
}
