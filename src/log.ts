import { pino, type Logger } from 'pino';

/**
 * Structured log. Tokens, secrets, assertions and keys never reach it: callers log ids
 * (jti, txn, client_id), and these paths are redacted as a second line of defence.
 */
export function createLogger(level: string): Logger {
  const log = pino({
    level,
    base: { svc: 'baton' },
    redact: {
      paths: [
        '*.access_token',
        '*.subject_token',
        '*.actor_token',
        '*.client_secret',
        '*.client_assertion',
        '*.token',
        '*.authorization',
        '*.privateJwk',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
  ours.add(log);
  return log;
}
export type { Logger };

/** Loggers made by createLogger: their lines have no formatter, mixin or hook to honour. */
const ours = new WeakSet<Logger>();

type Internals = { [k: symbol]: unknown };

/**
 * An info line with one field already serialised (`json`): the line pino would write for
 * `log.info({ [key]: JSON.parse(json) }, msg)`, without serialising the value a second time.
 * For audit events, whose JSON is made anyway for the store (pino's stringify and redaction
 * of that object were ~5% of an exchange's CPU). Redaction is not needed there: an audit
 * event names tokens by id only (audit/events.ts), and the redacted paths are not its fields.
 * Any logger createLogger did not make (a test's, an embedder's) gets the ordinary call.
 */
export function infoWithJson(log: Logger, key: string, json: string, msg: string): void {
  if (!log.isLevelEnabled('info')) return;
  const l = log as unknown as Internals;
  const stream = l[pino.symbols.streamSym] as { write?: (line: string) => unknown } | undefined;
  const time = l[pino.symbols.timeSym];
  const bindings = l[pino.symbols.chindingsSym];
  if (
    !ours.has(log) ||
    typeof stream?.write !== 'function' ||
    typeof time !== 'function' ||
    typeof bindings !== 'string'
  ) {
    log.info({ [key]: JSON.parse(json) as unknown }, msg);
    return;
  }
  stream.write(
    `{"level":${log.levels.values.info}${(time as () => string)()}${bindings},${JSON.stringify(key)}:${json},"msg":${JSON.stringify(msg)}}\n`,
  );
}
