/**
 * A Server-Sent Events reader over fetch (WHATWG HTML §9.2 "Server-sent events"): fields
 * `event`, `data`, `id`, `retry`; a blank line dispatches. Following reconnects after the
 * server's `retry` (or `fallbackRetryMs`) and sends `Last-Event-ID` when an id was seen, so a
 * stream with ids resumes where it broke.
 */

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export interface FollowOptions {
  url: string;
  headers: Record<string, string>;
  onEvent: (e: SseEvent) => boolean | undefined;
  onDisconnect: (reason: string, retryMs: number) => void;
  fallbackRetryMs: number;
  signal?: AbortSignal;
}

/** Thrown when the server refuses the stream (4xx): reconnecting would not help. */
export class StreamRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads one connection; returns true when onEvent asked to stop. */
async function readOnce(
  o: FollowOptions,
  state: { lastId?: string; retryMs: number },
): Promise<boolean> {
  const headers = { ...o.headers, accept: 'text/event-stream' };
  if (state.lastId !== undefined) Object.assign(headers, { 'last-event-id': state.lastId });
  const res = await fetch(o.url, { headers, ...(o.signal ? { signal: o.signal } : {}) });
  if (res.status >= 400 && res.status < 500) {
    const text = await res.text().catch(() => '');
    let reason = `HTTP ${res.status}`;
    try {
      const b = JSON.parse(text) as { error?: string; error_description?: string };
      if (b.error) reason = `${b.error}${b.error_description ? `: ${b.error_description}` : ''}`;
    } catch {
      // not JSON
    }
    throw new StreamRefused(res.status, reason);
  }
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let ev: { event?: string; data: string[]; id?: string } = { data: [] };
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl = buffer.search(/\r\n|\r|\n/);
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      nl = buffer.search(/\r\n|\r|\n/);
      if (line === '') {
        if (ev.data.length) {
          const out: SseEvent = { event: ev.event ?? 'message', data: ev.data.join('\n') };
          if (ev.id !== undefined) out.id = ev.id;
          // Returning from the for-await cancels the body: the connection is let go.
          if (o.onEvent(out) === false) return true;
        }
        ev = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') ev.event = value;
      else if (field === 'data') ev.data.push(value);
      else if (field === 'id' && !value.includes('\0')) {
        ev.id = value;
        state.lastId = value;
      } else if (field === 'retry' && /^\d+$/.test(value)) state.retryMs = Number(value);
    }
  }
  return false;
}

/** Follows the stream until onEvent returns false or the signal aborts; reconnects otherwise. */
export async function followSse(o: FollowOptions): Promise<void> {
  const state: { lastId?: string; retryMs: number } = { retryMs: o.fallbackRetryMs };
  for (;;) {
    let reason = 'the stream ended';
    try {
      if (await readOnce(o, state)) return;
    } catch (e) {
      if (e instanceof StreamRefused || o.signal?.aborted) throw e;
      reason = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    }
    o.onDisconnect(reason, state.retryMs);
    await new Promise((r) => setTimeout(r, state.retryMs));
  }
}
