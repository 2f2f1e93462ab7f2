/** The admin live stream (SSE): one EventSource per page, every change handed to listeners. */
type Listener = (change: { kind: string; type: string; txn?: string }) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;

export function onChange(fn: Listener): () => void {
  if (!source) {
    source = new EventSource('/admin/stream');
    source.addEventListener('change', (e) => {
      const change = JSON.parse((e as MessageEvent<string>).data) as Parameters<Listener>[0];
      for (const l of listeners) l(change);
    });
  }
  listeners.add(fn);
  return () => listeners.delete(fn);
}
