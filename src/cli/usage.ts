/**
 * What every `baton` command shares about failing: the exit codes (docs/cli.md, "Exit codes")
 * and the errors that carry them. The entry point (baton.ts) prints one line and exits.
 */

/** The exit codes, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** Something failed: Baton unreachable, a server error, a check with an error finding. */
  failed: 1,
  /** A mistake in the command line (unknown command or option, a bad value). */
  usage: 2,
  /** Baton refused the admin key: missing or wrong (401), or its role too low (403). */
  refused: 3,
  /** What was named does not exist (404): a task, an agent, an approval. */
  notFound: 4,
  /** `config check`: warnings, no errors. */
  warnings: 5,
} as const;

/** A failure with its exit code: one line on stderr, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

/** A mistake in the command line: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** A whole number of seconds from an option, or a usage error naming the option. */
export function seconds(option: string, v: string): number {
  if (!/^\d+$/.test(v))
    throw new UsageError(`${option} must be a whole number of seconds (got "${v}")`);
  return Number(v);
}

/** A positive integer from an option (a page size), at most `max`. */
export function positive(option: string, v: string, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw new UsageError(`${option} must be an integer from 1 to ${max} (got "${v}")`);
  return Number(v);
}

/** `--since`: epoch seconds, or a duration back from now (`90s`, `15m`, `2h`, `1d`). */
export function sinceEpoch(v: string, now = Math.floor(Date.now() / 1000)): number {
  if (/^\d{9,12}$/.test(v)) return Number(v);
  const m = /^(\d+)([smhd])$/.exec(v);
  if (!m)
    throw new UsageError(
      `--since must be epoch seconds or a duration like 15m, 2h, 1d (got "${v}")`,
    );
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return now - Number(m[1]) * unit;
}
