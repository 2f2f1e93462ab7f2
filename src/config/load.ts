import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { type Env, readEnv } from './env.js';
import { ConfigSchema, type Config } from './schema.js';

export { ConfigError } from './config-error.js';
export type { Env } from './env.js';

/** Per-deployment overrides: what differs between instances of one config (src/config/env.ts). */
export function applyEnvOverrides(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const e = readEnv(env);
  const out: Record<string, unknown> = { ...raw };
  if (e.port !== undefined) out.port = e.port;
  if (e.host) out.host = e.host;
  if (e.issuer) out.issuer = e.issuer;
  if (e.logLevel) out.logLevel = e.logLevel;
  if (e.redisUrl)
    out.store = { ...(raw.store as object | undefined), kind: 'redis', url: e.redisUrl };
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

/**
 * Reads a YAML or JSON file (YAML is a superset of JSON), applies env overrides, validates.
 * A relative `policy.cedarFile` is resolved against the config file's folder, so the pair can
 * move together (docs/configuration.md).
 */
export function loadConfigFile(path: string, env: Env = process.env): Config {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError([`cannot read or parse: ${(e as Error).message}`], path);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(['(root): expected a mapping'], path);
  const config = parseConfig(applyEnvOverrides(raw as Record<string, unknown>, env), path);
  const cedarFile = config.policy.cedarFile;
  if (cedarFile && !isAbsolute(cedarFile))
    return {
      ...config,
      policy: { ...config.policy, cedarFile: resolve(dirname(path), cedarFile) },
    };
  return config;
}
