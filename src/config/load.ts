import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, type Config } from './schema.js';

/** Startup failure: the message names every bad field by its path. Nothing starts half-configured. */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    source: string,
  ) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** Per-deployment overrides: what differs between instances of one config. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  if (env.PORT !== undefined) out.port = Number(env.PORT);
  if (env.BATON_HOST) out.host = env.BATON_HOST;
  if (env.BATON_ISSUER) out.issuer = env.BATON_ISSUER;
  if (env.BATON_LOG_LEVEL ?? env.LOG_LEVEL) out.logLevel = env.BATON_LOG_LEVEL ?? env.LOG_LEVEL;
  if (env.REDIS_URL)
    out.store = { ...(raw.store as object | undefined), kind: 'redis', url: env.REDIS_URL };
  return out;
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map(
    (i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`,
  );
}

/** Validates an already-parsed config object (after env overrides). */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error), source);
  return result.data;
}

/** Reads a YAML or JSON file (YAML is a superset of JSON), applies env overrides, validates. */
export function loadConfigFile(path: string, env: Env = process.env): Config {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError([`cannot read or parse: ${(e as Error).message}`], path);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(['(root): expected a mapping'], path);
  return parseConfig(applyEnvOverrides(raw as Record<string, unknown>, env), path);
}
