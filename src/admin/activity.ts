import type { AuditReadDeps } from '../audit/read.js';
import { readEventsPage } from '../audit/read.js';
import type { AuditType } from '../audit/events.js';

/** A change the console hears on the live stream: enough to refresh the one row it touches. */
export interface AdminChange {
  kind: 'task' | 'approval' | 'revocation';
  type: AuditType;
  time: number;
  txn?: string;
  approval_id?: string;
}

const KIND: Partial<Record<AuditType, AdminChange['kind']>> = {
  task_started: 'task',
  token_issued: 'task',
  hand_off_offered: 'task',
  task_completed: 'task',
  task_revoked: 'task',
  approval_requested: 'approval',
  approval_decided: 'approval',
  token_revoked: 'revocation',
  agent_revoked: 'revocation',
  user_revoked: 'revocation',
  all_revoked: 'revocation',
};

type Event = { id: string; type: AuditType; time: number; txn?: string; detail?: unknown };

/**
 * The admin side's view of what happens, from what is already recorded: it tails the global
 * audit streams (every instance files there, so every instance sees all) while anyone listens
 * or asks for rates, counting tokens issued and refusals per second over the last minute and
 * passing task and approval changes to the live stream's listeners.
 */
export class AdminActivity {
  private readonly listeners = new Set<(c: AdminChange) => void>();
  private readonly issued = new Map<number, number>();
  private readonly refused = new Map<number, number>();
  private cursors: { decisions?: string; refusals?: string } = {};
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly deps: AuditReadDeps,
    private readonly opts: { pollMs: number; batch: number; now?: () => number },
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Starts tailing (once); resolves after the first read, so rates are current. */
  async start(): Promise<void> {
    if (!this.timer) {
      this.startedAt = this.now();
      // The first listener's request starts the timer; its polls read the shared store (no
      // request's budget: src/scope.ts), bounded by the command timeout.
      this.timer = setInterval(() => void this.poll(), this.opts.pollMs);
      this.timer.unref();
    }
    await this.poll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  subscribe(fn: (c: AdminChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Reads what was filed since the last read; one read at a time. */
  poll(): Promise<void> {
    this.polling ??= this.readBoth().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async readBoth(): Promise<void> {
    try {
      await this.readStream('decisions');
      await this.readStream('refusals');
    } catch {
      /* the store is down or closing: the next tick tries again */
    }
  }

  private async readStream(stream: 'decisions' | 'refusals'): Promise<void> {
    for (;;) {
      const page = await readEventsPage(this.deps, stream, this.cursors[stream], this.opts.batch);
      for (const e of page.events as Event[]) this.take(stream, e);
      const last = page.events[page.events.length - 1];
      if (last) this.cursors[stream] = last.id;
      if (!page.next) return;
    }
  }

  private take(stream: 'decisions' | 'refusals', e: Event): void {
    const second = Math.floor(e.time / 1000);
    if (stream === 'refusals') {
      const n =
        e.type === 'refusals_suppressed' ? Number((e.detail as { count?: number })?.count ?? 1) : 1;
      this.refused.set(second, (this.refused.get(second) ?? 0) + n);
      return;
    }
    // A task's first token is filed as task_started; every other token as token_issued.
    if (e.type === 'token_issued' || e.type === 'task_started')
      this.issued.set(second, (this.issued.get(second) ?? 0) + 1);
    const kind = KIND[e.type];
    // Catching up at start counts rates, but only what happens from now on is news.
    if (!kind || e.time < this.startedAt - 1000) return;
    const detail = (e.detail ?? {}) as { approval_id?: unknown };
    const change: AdminChange = {
      kind,
      type: e.type,
      time: e.time,
      ...(e.txn ? { txn: e.txn } : {}),
      ...(typeof detail.approval_id === 'string' ? { approval_id: detail.approval_id } : {}),
    };
    for (const fn of this.listeners) fn(change);
  }

  /** Tokens issued and refusals in the last 60 seconds (and old seconds forgotten). */
  lastMinute(): { tokens_issued: number; refusals: number } {
    const from = Math.floor(this.now() / 1000) - 60;
    const sum = (m: Map<number, number>) => {
      let n = 0;
      for (const [s, c] of m) {
        if (s < from) m.delete(s);
        else n += c;
      }
      return n;
    };
    return { tokens_issued: sum(this.issued), refusals: sum(this.refused) };
  }
}
