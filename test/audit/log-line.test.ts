import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { infoWithJson } from '../../src/log.js';

const EVENT = {
  type: 'token_issued',
  time: 1_700_000_000_000,
  txn: 'txn-1',
  act: ['support-agent'],
  decision: 'allow',
  detail: { jti: 'j-1', tool: 'https://tickets.example', note: 'quote " and \\ and ünïcode' },
};

/** Runs createLogger in its own process (it writes to fd 1) and returns its lines. */
function linesOf(level: string, calls: string): string[] {
  const code = [
    "const { createLogger, infoWithJson } = await import('./src/log.ts');",
    `const log = createLogger(${JSON.stringify(level)});`,
    `const event = ${JSON.stringify(EVENT)};`,
    calls,
  ].join('\n');
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', code],
    {
      encoding: 'utf8',
    },
  );
  return out.split('\n').filter(Boolean);
}

const withoutTime = (line: string) => line.replace(/,"time":\d+/, '');

describe('audit log lines written from pre-serialised JSON', () => {
  it('are byte for byte the line pino writes for the object (but for the time)', () => {
    const [viaPino, viaJson] = linesOf(
      'info',
      "log.info({ audit: event }, 'audit'); infoWithJson(log, 'audit', JSON.stringify(event), 'audit');",
    );
    expect(viaJson).toBeDefined();
    expect(withoutTime(viaJson!)).toBe(withoutTime(viaPino!));
    expect(JSON.parse(viaJson!)).toMatchObject({
      level: 30,
      svc: 'baton',
      msg: 'audit',
      audit: EVENT,
    });
  });

  it('are not written when info is not enabled', () => {
    expect(
      linesOf(
        'warn',
        "infoWithJson(log, 'audit', JSON.stringify(event), 'audit'); log.warn('end');",
      ),
    ).toEqual([expect.stringContaining('"msg":"end"')]);
  });

  it("go through the logger's own call for a logger Baton did not make (formatters kept)", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino(
      { base: null, timestamp: false, formatters: { level: (label) => ({ severity: label }) } },
      sink,
    );
    infoWithJson(log, 'audit', JSON.stringify(EVENT), 'audit');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ severity: 'info', audit: EVENT, msg: 'audit' });
  });
});
