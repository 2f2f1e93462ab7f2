import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { globals } from '../globals.js';
import { isoTime, printJson, printLine, safeText } from '../output.js';
import { CliError, UsageError } from '../usage.js';

/** Claims shown as times as well as numbers (RFC 7519 §4.1.4-6). */
const TIMES = new Set(['exp', 'iat', 'nbf', 'auth_time']);
/** Header fields worth showing; anything else (`jwk` of a DPoP proof aside) is left out. */
const HEADER_FIELDS = ['alg', 'typ', 'kid', 'cty'];

function part(token: string, i: number, what: string): Record<string, unknown> {
  const raw = token.split('.')[i] ?? '';
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error();
    return v as Record<string, unknown>;
  } catch {
    throw new CliError(`not a JWT: its ${what} is not base64url JSON`);
  }
}

/**
 * `baton token decode [TOKEN|-]`: a JWT's header and claims, NOT verified (introspection is
 * what says whether it is live). The signature is never printed, nor the token itself, so the
 * output can be pasted into a ticket without handing anyone a working credential.
 */
export function registerToken(program: Command): void {
  const token = program.command('token').description('tokens, offline');
  token
    .command('decode [token]')
    .description(
      'show a JWT\'s header and claims without verifying it (never its signature); "-" or none reads stdin',
    )
    .action((arg: string | undefined, _o: unknown, cmd: Command) => {
      const text = (arg === undefined || arg === '-' ? readFileSync(0, 'utf8') : arg).trim();
      if (!text) throw new UsageError('give a token, or pipe one on stdin');
      const parts = text.split('.');
      if (parts.length === 5)
        throw new CliError('an encrypted JWT (JWE) cannot be decoded without its key');
      if (parts.length !== 3) throw new CliError(`not a JWT: ${parts.length} parts, a JWS has 3`);
      const header = part(text, 0, 'header');
      const claims = part(text, 1, 'payload');
      const shownHeader = Object.fromEntries(
        HEADER_FIELDS.filter((k) => k in header).map((k) => [k, header[k]]),
      );
      if (globals(cmd).json) return printJson({ header: shownHeader, claims, verified: false });
      const lines = ['header (not verified):'];
      for (const [k, v] of Object.entries(shownHeader)) lines.push(`  ${k}: ${safeText(v)}`);
      lines.push('claims:');
      for (const [k, v] of Object.entries(claims)) {
        const shown = typeof v === 'object' ? JSON.stringify(v) : String(v);
        const when = TIMES.has(k) && typeof v === 'number' ? ` (${isoTime(v)})` : '';
        lines.push(`  ${k}: ${safeText(shown)}${when}`);
      }
      printLine(lines.join('\n'));
    });
}
