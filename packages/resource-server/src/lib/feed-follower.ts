import type { FeedEvent, FeedReset } from '@baton/protocol';
import type { ClientAuth } from './client-auth.js';

/** What the follower reports to its owner (the verifier's revocation state). */
export interface FeedHandlers {
  onEvent(e: FeedEvent): void;
  /** `reset`: drop the state; the follower re-learns it from the start (`after=0`). */
  onReset(r: FeedReset): void;
  /** `gap`: events were lost; what follows is whole. */
  onGap(): void;
  onNotice?(e: { type: string; detail?: string }): void;
}

export interface FeedFollowerOptions {
  endpoint: string;
  auth: () => Promise<ClientAuth>;
  fetch: typeof fetch;
  minBackoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
}

/**
 * Follows Baton's revocation feed (docs/revocation.md): `POST /revocations` with the resource
 * server's credentials (any method: an assertion never goes in a query string), from `after=0`
 * first to learn the marks in force, then with `Last-Event-ID` on every reconnect so nothing is
 * lost or repeated. `live` is true once the catch-up is over (`: live`) on an open stream; the
 * verifier trusts local checks only then, and only while something was heard recently.
 */
export class FeedFollower {
  cursor: string | undefined;
  live = false;
  lastHeard = 0;
  private stopped = false;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly o: FeedFollowerOptions,
    private readonly h: FeedHandlers,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = this.o.minBackoffMs;
    while (!this.stopped) {
      let wait = backoff;
      try {
        const opened = await this.connect();
        if (opened === 'read') backoff = this.o.minBackoffMs;
        else if (typeof opened === 'number') wait = opened;
        else backoff = Math.min(backoff * 2, this.o.maxBackoffMs);
      } catch {
        backoff = Math.min(backoff * 2, this.o.maxBackoffMs);
      }
      this.live = false;
      if (this.stopped) break;
      // Full jitter, so replicas of one tool do not reconnect in step.
      await this.sleep(Math.random() * wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref?.();
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** One connection: 'read' when a stream was read, a wait in ms after a 429, else 'failed'. */
  private async connect(): Promise<'read' | 'failed' | number> {
    const a = await this.o.auth();
    const form = new URLSearchParams(a.form);
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'content-type': 'application/x-www-form-urlencoded',
      ...a.headers,
    };
    if (this.cursor === undefined) form.set('after', '0');
    else headers['last-event-id'] = this.cursor;
    this.abort = new AbortController();
    const res = await this.o.fetch(this.o.endpoint, {
      method: 'POST',
      headers,
      body: form.toString(),
      signal: this.abort.signal,
    });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      this.h.onNotice?.({ type: 'refused', detail: String(res.status) });
      // A cursor Baton does not take (400): start over from the beginning.
      if (res.status === 400) this.cursor = undefined;
      if (res.status === 429) return Number(res.headers.get('retry-after') ?? 5) * 1000;
      return 'failed';
    }
    this.lastHeard = Date.now();
    this.h.onNotice?.({ type: 'connected' });
    try {
      await this.read(res.body);
    } catch {
      // Aborted or cut: reconnect with the cursor.
    }
    this.abort.abort();
    this.h.onNotice?.({ type: 'disconnected' });
    return 'read';
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    let id: string | undefined;
    let type = 'message';
    let data = '';
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      this.lastHeard = Date.now();
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.search(/\r\n|\r|\n/);
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
        nl = buf.search(/\r\n|\r|\n/);
        if (line === '') {
          if (data !== '' && this.dispatch(id, type, data) === 'restart') return;
          id = undefined;
          type = 'message';
          data = '';
        } else if (line.startsWith(':')) {
          // `: live` ends the catch-up (src/revocation/feed-follow.ts); `: ping` keeps it fresh.
          if (line.slice(1).trim() === 'live') {
            this.live = true;
            this.h.onNotice?.({ type: 'live' });
          }
        } else {
          const c = line.indexOf(':');
          const field = c < 0 ? line : line.slice(0, c);
          const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
          if (field === 'id') id = value;
          else if (field === 'event') type = value;
          else if (field === 'data') data = data === '' ? value : `${data}\n${value}`;
        }
      }
    }
  }

  private dispatch(id: string | undefined, type: string, data: string): 'restart' | undefined {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return undefined;
    }
    if (type === 'reset') {
      // Nothing missed can be replayed: drop the state and re-learn it from the start.
      this.live = false;
      this.cursor = undefined;
      this.h.onReset(event as FeedReset);
      this.h.onNotice?.({ type: 'reset', detail: (event as FeedReset).reason });
      return 'restart';
    }
    if (type === 'gap') {
      this.h.onGap();
      this.h.onNotice?.({ type: 'gap' });
      return undefined;
    }
    this.h.onEvent(event as FeedEvent);
    if (id !== undefined) this.cursor = id;
    return undefined;
  }
}
