import { EventEmitter } from 'node:events';
import type { FeedEntry, FeedEvent } from '../../protocol/feed.js';
import type { FeedStore } from '../store.js';

/** The revocation feed as a ring of at most `maxLength` entries, with in-process subscribers. */
export class MemoryFeed implements FeedStore {
  private readonly entries: FeedEntry[] = [];
  private seq = 0;
  private trimmedUpTo: string | undefined;
  private readonly events = new EventEmitter();
  /** Each live subscription's state listener, told `false` when the store closes. */
  private readonly states = new Set<(connected: boolean) => void>();

  constructor(private readonly maxLength: number) {
    this.events.setMaxListeners(0);
  }

  async publish(event: FeedEvent): Promise<string> {
    const entry = { id: String(++this.seq), event };
    this.entries.push(entry);
    if (this.entries.length > this.maxLength) this.trimmedUpTo = this.entries.shift()!.id;
    this.events.emit('entry', entry);
    return entry.id;
  }

  async readFeed(afterId: string | undefined, limit: number): Promise<FeedEntry[]> {
    const after = afterId === undefined ? 0 : Number(afterId);
    return this.entries.filter((e) => Number(e.id) > after).slice(0, limit);
  }

  async feedHorizon(): Promise<string | undefined> {
    return this.trimmedUpTo;
  }

  async subscribe(onEntry: (e: FeedEntry) => void, onState?: (connected: boolean) => void) {
    this.events.on('entry', onEntry);
    if (onState) this.states.add(onState);
    onState?.(true);
    return async () => {
      this.events.off('entry', onEntry);
      if (onState) this.states.delete(onState);
    };
  }

  /** Ends every live subscription, as a Redis store's closing connections do. */
  close(): void {
    this.events.removeAllListeners();
    const states = [...this.states];
    this.states.clear();
    for (const onState of states) onState(false);
  }
}
