import { EventEmitter } from 'node:events';
import { compareFeedIds, type FeedEntry, type FeedEvent } from '../../protocol/feed.js';
import type { FeedBounds, FeedStore } from '../store.js';

/**
 * The revocation feed as a ring of at most `maxLength` entries, with in-process subscribers.
 * Ids are "<epoch>-<n>": the epoch is this store's start time in ms, so a restarted process
 * (which has lost the ring) never hands out an id a follower saved before the restart, and
 * every id of it orders after the old ones (docs/revocation.md, "Feed ids").
 */
export class MemoryFeed implements FeedStore {
  private readonly entries: FeedEntry[] = [];
  private seq = 0;
  private trimmedUpTo: string | undefined;
  private readonly events = new EventEmitter();
  /** Each live subscription's state listener, told `false` when the store closes. */
  private readonly states = new Set<(connected: boolean) => void>();

  constructor(
    private readonly maxLength: number,
    private readonly epoch: number = Date.now(),
  ) {
    this.events.setMaxListeners(0);
  }

  async publish(event: FeedEvent): Promise<string> {
    const entry = { id: `${this.epoch}-${++this.seq}`, event };
    this.entries.push(entry);
    if (this.entries.length > this.maxLength) this.trimmedUpTo = this.entries.shift()!.id;
    this.events.emit('entry', entry);
    return entry.id;
  }

  async readFeed(afterId: string | undefined, limit: number): Promise<FeedEntry[]> {
    const from =
      afterId === undefined ? 0 : this.entries.findIndex((e) => compareFeedIds(e.id, afterId) > 0);
    return from < 0 ? [] : this.entries.slice(from, from + limit);
  }

  async feedHorizon(): Promise<string | undefined> {
    return this.trimmedUpTo;
  }

  async feedBounds(): Promise<FeedBounds> {
    const first = this.entries[0]?.id;
    return {
      ...(this.seq > 0 ? { newest: `${this.epoch}-${this.seq}` } : {}),
      ...(first ? { first } : {}),
      ...(this.trimmedUpTo ? { horizon: this.trimmedUpTo } : {}),
    };
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
