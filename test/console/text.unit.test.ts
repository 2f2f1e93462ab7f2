/** The console's rendering of hostile text (console/src/text.ts): invisible characters shown. */
import { json, visible, visibleBlock } from '../../console/src/text.js';

test('shows bidi overrides, zero-width, controls and newlines as ⟨U+XXXX⟩', () => {
  expect(visible('a\u202Eb\u200Bc\u0000d\ne\u2066f\uFEFF')).toBe(
    'a⟨U+202E⟩b⟨U+200B⟩c⟨U+0000⟩d⟨U+000A⟩e⟨U+2066⟩f⟨U+FEFF⟩',
  );
});

test('leaves ordinary text, markup and non-Latin scripts as they are', () => {
  expect(visible('<script>alert(1)</script> Zoë 東京 مرحبا')).toBe(
    '<script>alert(1)</script> Zoë 東京 مرحبا',
  );
});

test('a block keeps its newlines; JSON shows a bidi override inside a string and cuts nothing', () => {
  expect(visibleBlock('a\n\u202Eb')).toBe('a\n⟨U+202E⟩b');
  const long = 'x'.repeat(5000);
  expect(json({ path: `/srv/\u202Etxt.exe`, long })).toBe(
    `{\n  "path": "/srv/⟨U+202E⟩txt.exe",\n  "long": "${long}"\n}`,
  );
});
