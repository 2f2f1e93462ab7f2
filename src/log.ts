import { pino, type Logger } from 'pino';

/**
 * Structured log. Tokens, secrets, assertions and keys never reach it: callers log ids
 * (jti, txn, client_id), and these paths are redacted as a second line of defence.
 */
export function createLogger(level: string): Logger {
  return pino({
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
}
export type { Logger };
