import type { AdminActor } from './admin-actor.js';
import { infoWithJson, type Logger } from '../log.js';
import type { AuditEntry, AuditStore } from '../store/store.js';
import { epochMillis } from '../clock.js';
import { type AuditEvent, REFUSAL_TYPES } from './events.js';

export interface PreparedEvent {
  event: AuditEvent;
  json: string;
}

/**
 * What the domain files events through: the process's AuditLog, or its view for one admin's
 * request (`as`), whose events all name that admin and their role however deep in the domain
 * they are made (src/scope.ts `scoped`).
 */
export type Audit = Pick<AuditLog, 'prepare' | 'filed' | 'emit' | 'flush' | 'as' | 'dropped'>;

export interface AuditOptions {
  flushMs: number;
  /** Events held while the store is unreachable; the oldest are dropped past it (and counted). */
  maxBuffered: number;
  /** Refusals filed one by one per task (or globally) and client in each window; the rest counted. */
  refusalBurst: number;
  refusalWindowMs: number;
}

/** Refusals of one client about one task (or none) in the current window. */
interface RefusalWindow {
  txn?: string;
  client?: string;
  start: number;
  filed: number;
  /** Refusals not filed one by one, by type: their exact count goes out as one event. */
  suppressed: Map<string, number>;
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
  private readonly refusals = new Map<string, RefusalWindow>();
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
    this.closeWindows(true);
    await this.flush();
  }

  /** This log as one admin's request uses it: every event it files names `admin`. */
  as(admin: AdminActor): Audit {
    const log = this;
    return {
      get dropped() {
        return log.dropped;
      },
      prepare: (e) => log.prepare(e, admin),
      filed: (p) => log.filed(p),
      emit: (e) => log.emit(e, admin),
      flush: (via) => log.flush(via),
      as: (other) => log.as(other),
    };
  }

  /** Serialises an event that the store will file with the token record. */
  prepare(event: Omit<AuditEvent, 'time'>, admin?: AdminActor): PreparedEvent {
    const full: AuditEvent = {
      ...event,
      time: epochMillis(),
      ...(admin ? { admin: { name: admin.name, role: admin.role } } : {}),
    };
    return { event: full, json: JSON.stringify(full) };
  }

  /** After the script succeeded: log it and queue it for the global stream only. */
  filed(p: PreparedEvent): void {
    infoWithJson(this.log, 'audit', p.json, 'audit');
    this.enqueue({
      ...(p.event.txn ? { txn: p.event.txn } : {}),
      json: p.json,
      inTaskStream: true,
    });
  }

  emit(event: Omit<AuditEvent, 'time'>, admin?: AdminActor): void {
    const full: AuditEvent = {
      ...event,
      time: epochMillis(),
      ...(admin ? { admin: { name: admin.name, role: admin.role } } : {}),
    };
    if (REFUSAL_TYPES.has(full.type) && !this.admitRefusal(full)) return;
    this.file(full);
  }

  private file(full: AuditEvent): void {
    // Serialised once: the same JSON is the log line's `audit` field and the stored event.
    const json = JSON.stringify(full);
    infoWithJson(this.log, 'audit', json, 'audit');
    this.enqueue({
      ...(full.txn ? { txn: full.txn } : {}),
      json,
      ...(REFUSAL_TYPES.has(full.type) ? { refusal: true } : {}),
    });
  }

  /**
   * A flood of refusals from one client (a stolen copy of a token being tried, a tool stuck
   * on a revoked one) is one story: its first `refusalBurst` per window are filed, the rest
   * counted and filed as one `refusals_suppressed` event when the window closes.
   */
  private admitRefusal(e: AuditEvent): boolean {
    const key = `${e.txn ?? ''}\n${e.client ?? ''}`;
    let w = this.refusals.get(key);
    if (w && e.time - w.start >= this.opts.refusalWindowMs) {
      this.closeWindow(key, w);
      w = undefined;
    }
    if (!w) {
      w = {
        ...(e.txn ? { txn: e.txn } : {}),
        ...(e.client ? { client: e.client } : {}),
        start: e.time,
        filed: 0,
        suppressed: new Map(),
      };
      this.refusals.set(key, w);
    }
    if (w.filed < this.opts.refusalBurst) {
      w.filed++;
      return true;
    }
    w.suppressed.set(e.type, (w.suppressed.get(e.type) ?? 0) + 1);
    return false;
  }

  private closeWindow(key: string, w: RefusalWindow): void {
    this.refusals.delete(key);
    let count = 0;
    for (const n of w.suppressed.values()) count += n;
    if (count === 0) return;
    this.file({
      type: 'refusals_suppressed',
      time: epochMillis(),
      ...(w.txn ? { txn: w.txn } : {}),
      ...(w.client ? { client: w.client } : {}),
      decision: 'deny',
      reason: `${count} more refusals from ${w.client ?? 'an unauthenticated caller'} suppressed`,
      detail: { count, by_type: Object.fromEntries(w.suppressed), since: w.start },
    });
  }

  /** Closes the refusal windows that have run out (all of them when `all`). */
  private closeWindows(all: boolean): void {
    const now = epochMillis();
    for (const [key, w] of this.refusals)
      if (all || now - w.start >= this.opts.refusalWindowMs) this.closeWindow(key, w);
  }

  private enqueue(e: AuditEntry): void {
    this.queue.push(e);
    if (this.queue.length > this.opts.maxBuffered) {
      this.queue.shift();
      this.dropped++;
    }
  }

  /**
   * Writes what is queued; on failure the batch goes back to the front and is tried again. A
   * request that needs its events written first (an audit read) passes its store view (`via`), so
   * the write spends its budget; a batch already in flight is waited for as it is.
   */
  flush(via?: Pick<AuditStore, 'appendAudit'>): Promise<void> {
    this.closeWindows(false);
    // A caller that needs its own events written waits for the batch in flight, then for one
    // more (which holds its own), never longer: while the store is down, batches keep failing
    // and a caller that waited for "the queue is empty" would wait forever.
    if (this.flushing) return this.flushing.then(() => this.flushing ?? this.writeQueued(via));
    return this.writeQueued(via);
  }

  private writeQueued(via: Pick<AuditStore, 'appendAudit'> = this.store): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue;
    this.queue = [];
    this.flushing = via
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
