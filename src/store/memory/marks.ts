import type { MarkStore } from '../store.js';
import type { MarkKind, Marks } from '../types.js';
import type { Stamps } from './stamps.js';

/** Cross-task marks: the latest stamp per agent, per user, and for everyone. */
export class MemoryMarks implements MarkStore {
  private readonly marks: Marks = { agents: new Map(), users: new Map(), all: 0 };

  constructor(private readonly stamps: Stamps) {}

  async putMark(kind: MarkKind, id: string): Promise<number> {
    const stamp = this.stamps.next();
    if (kind === 'agent') this.marks.agents.set(id, stamp);
    else if (kind === 'user') this.marks.users.set(id, stamp);
    else this.marks.all = stamp;
    return stamp;
  }

  async loadMarks(): Promise<Marks> {
    return {
      agents: new Map(this.marks.agents),
      users: new Map(this.marks.users),
      all: this.marks.all,
    };
  }
}
