/** What the CLI prints of agent-supplied text: hidden characters shown, nothing cut. */
import { duration, safeText, table } from '../../src/cli/output.js';
import { sinceEpoch, UsageError } from '../../src/cli/usage.js';

test('control and bidirectional characters are shown as escapes, never passed to the terminal', () => {
  expect(safeText('pay\u202eevil\u001b[2J')).toBe('pay\\u202eevil\\u001b[2J');
  expect(safeText(undefined)).toBe('');
});

test('a table pads every column but the last, which is never cut', () => {
  const long = 'x'.repeat(500);
  const t = table(
    ['ID', 'PURPOSE'],
    [
      ['a', long],
      ['bbb', 'short'],
    ],
  );
  expect(t.split('\n')).toEqual(['ID   PURPOSE', `a    ${long}`, 'bbb  short']);
});

test('--since reads epoch seconds or a duration back from now; anything else is a usage error', () => {
  expect(sinceEpoch('1800000000')).toBe(1_800_000_000);
  expect(sinceEpoch('2h', 10_000)).toBe(10_000 - 7200);
  expect(() => sinceEpoch('yesterday')).toThrow(UsageError);
  expect(duration(95)).toBe('1m35s');
  expect(duration(7300)).toBe('2h01m');
});
