/**
 * Agent-supplied text is hostile (docs/console.md, "Hostile text"): the console renders it as
 * text only (Preact text nodes, never HTML) and shows every control, bidirectional and
 * invisible character as ⟨U+XXXX⟩, so what an approver reads is exactly what is there.
 */
// Controls (Cc), format characters (Cf: bidi overrides and isolates, zero-width, BOM, soft
// hyphen), line and paragraph separators, variation selectors and the Hangul fillers.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Variation_Selector}\u115f\u1160\u3164]/gu;

const mark = (c: string) =>
  `⟨U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}⟩`;

/** One-line text: newlines and tabs are shown too. */
export const visible = (s: string): string => s.replace(INVISIBLE, mark);

/** Multi-line text (pretty JSON): its own newlines stay, everything else invisible is shown. */
export const visibleBlock = (s: string): string =>
  s.replace(INVISIBLE, (c) => (c === '\n' ? c : mark(c)));

/** A value as canonical-looking JSON, in full (never cut), with invisible characters shown. */
export const json = (v: unknown): string => visibleBlock(JSON.stringify(v, null, 2) ?? 'null');

export const time = (epochSec: number): string => new Date(epochSec * 1000).toLocaleString();

export function age(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}
