import { EventEmitter } from 'node:events';
import { FEED_FOLLOWER_LIMITS } from '../config/defaults.js';
import type { FeedEntry, FeedStore } from '../store/store.js';
import { type FollowerLimits, Followers } from './feed-followers.js';

/**
 * One live subscription to the store's revocation feed per instance, fanned out in process to
 * every follower (the marks cache, each SSE client). A thousand resource servers following one
 * instance cost it one Redis connection, not a thousand.
 */
export class FeedHub {
  private readonly events = new EventEmitter();
  private unsubscribe: (() => Promise<void>) | undefined;
  connected = false;
  /** The SSE followers of this instance, capped (docs/revocation.md, "Followers"). */
  readonly followers: Followers;

  constructor(
    private readonly store: FeedStore,
    limits: FollowerLimits = FEED_FOLLOWER_LIMITS,
  ) {
    this.events.setMaxListeners(0);
    this.followers = new Followers(limits);
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.store.subscribe(
      (e) => this.events.emit('entry', e),
      (up) => {
        this.connected = up;
        this.events.emit('state', up);
      },
    );
  }

  /** Live entries from now on; returns the unsubscribe function. */
  follow(onEntry: (e: FeedEntry) => void): () => void {
    this.events.on('entry', onEntry);
    return () => this.events.off('entry', onEntry);
  }

  onState(listener: (connected: boolean) => void): () => void {
    this.events.on('state', listener);
    return () => this.events.off('state', listener);
  }

  async stop(): Promise<void> {
    this.events.removeAllListeners();
    await this.unsubscribe?.();
  }
}
