import type { Logger } from '../log.js';
import type { AuditEntry, AuditStore } from '../store/store.js';
import type { AuditEvent } from './events.js';

export interface PreparedEvent {
  event: AuditEvent;
  json: string;
}

export interface AuditOptions {
  flushMs: number;
  /** Events held while the store is unreachable; the oldest are dropped past it (and counted). */
  maxBuffered: number;
}

/**
 * Files audit events without adding a Redis round trip to any request: an issued token's event
 * is written by the same Lua script that records the token (`forScript` + `filed`), everything
 * else is queued and written in batches, and every event is also one JSON log line (pino).
 */
export class AuditLog {
  private queue: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  dropped = 0;

  constructor(
    private readonly store: Pick<AuditStore, 'appendAudit'>,
    private readonly log: Logger,
    private readonly opts: AuditOptions,
  ) {}

  start(): void {
    // A tick while a batch is in flight does nothing: a hung store must not pile up waiters.
    this.timer = setInterval(() => {
      if (!this.flushing) void this.flush();
    }, this.opts.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  /** Serialises an event that the store will file with the token record. */
  prepare(event: Omit<AuditEvent, 'time'>): PreparedEvent {
    const full: AuditEvent = { ...event, time: Date.now() };
    return { event: full, json: JSON.stringify(full) };
  }

  /** After the script succeeded: log it and queue it for the global stream only. */
  filed(p: PreparedEvent): void {
    this.log.info({ audit: p.event }, 'audit');
    this.enqueue({
      ...(p.event.txn ? { txn: p.event.txn } : {}),
      json: p.json,
      inTaskStream: true,
    });
  }

  emit(event: Omit<AuditEvent, 'time'>): void {
    const full: AuditEvent = { ...event, time: Date.now() };
    this.log.info({ audit: full }, 'audit');
    this.enqueue({ ...(full.txn ? { txn: full.txn } : {}), json: JSON.stringify(full) });
  }

  private enqueue(e: AuditEntry): void {
    this.queue.push(e);
    if (this.queue.length > this.opts.maxBuffered) {
      this.queue.shift();
      this.dropped++;
    }
  }

  /** Writes what is queued; on failure the batch goes back to the front and is tried again. */
  flush(): Promise<void> {
    // A caller that needs its own events written waits for the batch in flight, then for one
    // more (which holds its own), never longer: while the store is down, batches keep failing
    // and a caller that waited for "the queue is empty" would wait forever.
    if (this.flushing) return this.flushing.then(() => this.flushing ?? this.writeQueued());
    return this.writeQueued();
  }

  private writeQueued(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.store
      .appendAudit(batch)
      .catch((err: unknown) => {
        this.queue = [...batch, ...this.queue].slice(-this.opts.maxBuffered);
        this.log.warn(
          { err: (err as Error).message, pending: this.queue.length },
          'audit flush failed; will retry',
        );
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }
}
