/**
 * How commands print: a human table by default, the API's JSON with `--json` (for scripts),
 * progress on stderr only when a person watches (a TTY), so pipes and tests see clean output.
 */

/** C0, DEL, C1 and the bidirectional marks, embeddings, overrides and isolates (Unicode UAX #9). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is escaped
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Control and bidirectional characters shown as \u escapes: agent-supplied text is hostile. */
export function safeText(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return s.replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Columns padded to the widest cell; the last column is never cut (a purpose is read whole). */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(safeText))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

export function printLine(s: string): void {
  process.stdout.write(`${s}\n`);
}

/** A line of progress on stderr when it is a terminal (never in a pipe or with --json). */
export function progress(s: string, json = false): void {
  if (process.stderr.isTTY && !json) process.stderr.write(`${s}\n`);
}

/** `95` → `1m35s`; `7300` → `2h01m`. */
export function duration(secondsValue: number): string {
  const s = Math.max(0, Math.round(secondsValue));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

/** Epoch seconds (or µs stamps above 1e12) as an ISO time; `-` when absent. */
export function isoTime(v: number | null | undefined): string {
  if (!v) return '-';
  const ms = v > 1e14 ? v / 1000 : v > 1e11 ? v : v * 1000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
