import type { Command } from 'commander';
import { generateSecret, hashSecret } from '../../auth/secrets.js';
import { globals } from '../globals.js';
import { printJson } from '../output.js';

/** `baton secret`: a client secret or admin key (256 bits) and the hash the config holds. */
export function registerSecret(program: Command): void {
  program
    .command('secret')
    .description(
      'generate a client secret or admin key (256 bits) and the hash to put in the config',
    )
    .action((_o: unknown, cmd: Command) => {
      const s = generateSecret();
      if (globals(cmd).json) return printJson({ secret: s, secretHash: hashSecret(s) });
      process.stdout.write(`secret:     ${s}\nsecretHash: ${hashSecret(s)}\n`);
    });
}
