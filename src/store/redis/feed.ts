import type { FeedEntry, FeedEvent } from '../../protocol/feed.js';
import type { FeedBounds, FeedStore } from '../store.js';
import { type Client, guarded, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

/** The revocation feed: a trimmed stream, each entry also published on a channel. */
export class RedisFeed implements FeedStore {
  /** Live subscriber connections, disconnected by close(). */
  private readonly subscribers = new Set<Client>();

  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
    private readonly maxLength: number,
    /** A new connection for each subscriber (a subscribed connection does nothing else). */
    private readonly makeSubscriber: () => Client,
  ) {}

  publish(event: FeedEvent): Promise<string> {
    return guarded(() =>
      this.client.batonPublish(
        this.k.feed(),
        this.k.channel(),
        this.maxLength,
        JSON.stringify(event),
      ),
    );
  }

  readFeed(afterId: string | undefined, limit: number): Promise<FeedEntry[]> {
    return guarded(async () => {
      const rows = await this.client.xrange(
        this.k.feed(),
        afterId ? `(${afterId}` : '-',
        '+',
        'COUNT',
        limit,
      );
      return rows.map(([id, fields]) => ({
        id,
        event: JSON.parse(fields[1] ?? 'null') as FeedEvent,
      }));
    });
  }

  async feedHorizon(): Promise<string | undefined> {
    return (await this.feedBounds()).horizon;
  }

  /** One XINFO STREAM: the last generated id, the first kept entry, the last trimmed id. */
  feedBounds(): Promise<FeedBounds> {
    return guarded(async () => {
      let info: unknown[];
      try {
        info = (await this.client.xinfo('STREAM', this.k.feed())) as unknown[];
      } catch (e) {
        if (/no such key/i.test((e as Error).message)) return {};
        throw e;
      }
      const field = (name: string): unknown => {
        const i = info.indexOf(name);
        return i >= 0 ? info[i + 1] : undefined;
      };
      const id = (v: unknown): string | undefined =>
        typeof v === 'string' && v !== '0-0' ? v : undefined;
      const firstEntry = field('first-entry');
      const newest = id(field('last-generated-id'));
      const first = Array.isArray(firstEntry) ? id(firstEntry[0]) : undefined;
      const horizon = id(field('max-deleted-entry-id'));
      return {
        ...(newest ? { newest } : {}),
        ...(first ? { first } : {}),
        ...(horizon ? { horizon } : {}),
      };
    });
  }

  async subscribe(
    onEntry: (e: FeedEntry) => void,
    onState?: (connected: boolean) => void,
  ): Promise<() => Promise<void>> {
    const sub = this.makeSubscriber();
    this.subscribers.add(sub);
    sub.on('error', () => {});
    const onMessage = (_ch: string, msg: string) => {
      const sp = msg.indexOf(' ');
      try {
        onEntry({ id: msg.slice(0, sp), event: JSON.parse(msg.slice(sp + 1)) as FeedEvent });
      } catch {
        /* a malformed message is not ours; ignore it */
      }
    };
    sub.on('message', onMessage);
    sub.on('ready', () => onState?.(true));
    sub.on('close', () => onState?.(false));
    await sub.connect();
    await sub.subscribe(this.k.channel());
    onState?.(true);
    return async () => {
      // Off first: a message Redis pushed before the disconnect may still be in the socket's
      // buffer, and an unsubscribed caller must not hear it.
      sub.off('message', onMessage);
      this.subscribers.delete(sub);
      sub.disconnect();
    };
  }

  /** Ends every live subscription (each hears `onState(false)` as its connection closes). */
  close(): void {
    for (const sub of this.subscribers) sub.disconnect();
    this.subscribers.clear();
  }
}
