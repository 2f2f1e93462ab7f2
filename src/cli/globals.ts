import type { Command } from 'commander';
import { AdminClient, adminTarget } from './admin-client.js';

/** The program's options every command reads (defined once on the program in baton.ts). */
export interface Globals {
  url?: string;
  json?: boolean;
  config?: string;
}

export const globals = (cmd: Command): Globals => cmd.optsWithGlobals() as Globals;

/** An admin API client for `--url` / BATON_URL and BATON_ADMIN_KEY. */
export const adminClient = (cmd: Command): AdminClient =>
  new AdminClient(adminTarget(globals(cmd)));

/** The config file: the argument, else `--config`, else BATON_CONFIG (undefined: none named). */
export function configFile(cmd: Command, file?: string): string | undefined {
  return file ?? globals(cmd).config ?? process.env.BATON_CONFIG;
}
