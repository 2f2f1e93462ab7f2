import type { FollowerDropReason, FollowerLimits } from './feed-followers.js';

/** The part of a Node writable (an HTTP response) a follower's output uses. */
export interface FeedSocket {
  write(chunk: string): boolean;
  readonly writableLength: number;
  readonly destroyed: boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  end(): void;
  destroy(): void;
}

/**
 * Writes one follower's stream with backpressure: once `write` says the socket is full, further
 * chunks wait in a queue until it drains. A follower that keeps Baton waiting longer than
 * `maxLagMs`, or whose queue and socket buffer pass `maxBufferedBytes`, is dropped (its
 * connection destroyed): it reconnects with its cursor and the catch-up read serves it from
 * the store, which costs Baton nothing while it does not read.
 */
export class FollowerOutput {
  private queue: string[] = [];
  private queued = 0;
  private waiting: Promise<boolean> | undefined;
  dropped = false;

  constructor(
    private readonly out: FeedSocket,
    private readonly limits: Pick<FollowerLimits, 'maxBufferedBytes' | 'maxLagMs'>,
    /** Told when Baton drops this follower (not when the follower hung up itself). */
    private readonly onDrop: (reason: FollowerDropReason) => void,
  ) {}

  /** Bytes held for this follower: its queue and its socket's buffer. */
  buffered(): number {
    return this.queued + this.out.writableLength;
  }

  push(chunk: string): void {
    if (this.dropped || this.out.destroyed) return;
    if (!this.waiting) {
      if (!this.out.write(chunk)) this.waitForDrain();
      return;
    }
    this.queue.push(chunk);
    this.queued += Buffer.byteLength(chunk);
    if (this.buffered() > this.limits.maxBufferedBytes) this.drop('bytes');
  }

  /** A keep-alive comment, only when nothing is waiting (a stalled follower gets none). */
  heartbeat(): void {
    if (!this.waiting) this.push(': ping\n\n');
  }

  /** True once everything pushed is in the socket; false when the follower was dropped. */
  async settled(): Promise<boolean> {
    while (this.waiting) if (!(await this.waiting)) return false;
    return !this.dropped && !this.out.destroyed;
  }

  drop(reason: FollowerDropReason): void {
    if (this.dropped) return;
    this.dropped = true;
    if (!this.out.destroyed) this.onDrop(reason);
    this.queue = [];
    this.queued = 0;
    this.out.destroy();
  }

  private waitForDrain(): void {
    const { out } = this;
    this.waiting = new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        out.off('drain', onDrain);
        out.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.limits.maxLagMs);
      out.once('drain', onDrain);
      out.once('close', onClose);
    }).then((ok) => {
      this.waiting = undefined;
      if (!ok) {
        // Past the lag bound (a follower that hung up is already destroyed and not counted).
        this.drop('lag');
        return false;
      }
      while (this.queue.length > 0) {
        const chunk = this.queue.shift()!;
        this.queued -= Buffer.byteLength(chunk);
        if (!out.write(chunk)) {
          this.waitForDrain();
          break;
        }
      }
      return true;
    });
  }
}
