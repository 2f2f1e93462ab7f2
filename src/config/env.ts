import { ConfigError } from './config-error.js';
import { LOG_LEVELS, type LogLevel } from './schema.js';

export type Env = Record<string, string | undefined>;

/** What the environment says, parsed; a variable that is unset is absent. */
export interface EnvSettings {
  /** BATON_CONFIG: the config file; without it `baton serve` runs the demo. */
  configPath?: string;
  /** PORT */
  port?: number;
  /** BATON_HOST */
  host?: string;
  /** BATON_ISSUER */
  issuer?: string;
  /** BATON_LOG_LEVEL (or LOG_LEVEL) */
  logLevel?: LogLevel;
  /** REDIS_URL: selects the Redis store at this URL. */
  redisUrl?: string;
  /** BATON_WORKERS */
  workers?: number | 'auto';
  /** DEMO_IDP_PORT, DEMO_IDP_HOST: the demo's embedded IdP. */
  demoIdpPort?: number;
  demoIdpHost?: string;
}

const isPort = (v: string) => /^\d{1,5}$/.test(v) && Number(v) <= 65535;

function isHttpUrl(v: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}

function isRedisUrl(v: string): boolean {
  try {
    return ['redis:', 'rediss:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}

/**
 * Every environment variable Baton reads, parsed in this one place, so that a bad value is
 * blamed on its variable (`PORT: "abc" is not a port...`), never on the config file. A value
 * is not echoed when it may hold a secret (REDIS_URL carries the Redis password).
 */
export function readEnv(env: Env): EnvSettings {
  const problems: string[] = [];
  const out: EnvSettings = {};
  const bad = (name: string, why: string, echo = true) =>
    problems.push(`${name}${echo ? ` (${JSON.stringify(env[name])})` : ''}: ${why}`);

  if (env.BATON_CONFIG !== undefined) {
    if (env.BATON_CONFIG === '') bad('BATON_CONFIG', 'is empty; unset it to run the demo');
    else out.configPath = env.BATON_CONFIG;
  }
  if (env.PORT !== undefined) {
    if (isPort(env.PORT)) out.port = Number(env.PORT);
    else bad('PORT', 'is not a port number (an integer from 0 to 65535)');
  }
  if (env.BATON_HOST) out.host = env.BATON_HOST;
  if (env.BATON_ISSUER) {
    if (isHttpUrl(env.BATON_ISSUER)) out.issuer = env.BATON_ISSUER;
    else bad('BATON_ISSUER', 'is not an http(s) URL');
  }
  for (const name of ['BATON_LOG_LEVEL', 'LOG_LEVEL'] as const) {
    const v = env[name];
    if (!v || out.logLevel) continue;
    if ((LOG_LEVELS as readonly string[]).includes(v)) out.logLevel = v as LogLevel;
    else bad(name, `is not a log level (${LOG_LEVELS.join(', ')})`);
  }
  if (env.REDIS_URL) {
    if (isRedisUrl(env.REDIS_URL)) out.redisUrl = env.REDIS_URL;
    else bad('REDIS_URL', 'is not a redis:// or rediss:// URL', false);
  }
  if (env.BATON_WORKERS !== undefined) {
    const w = parseWorkers(env.BATON_WORKERS);
    if (w === undefined) bad('BATON_WORKERS', 'must be a positive integer or auto');
    else out.workers = w;
  }
  if (env.DEMO_IDP_PORT !== undefined) {
    if (isPort(env.DEMO_IDP_PORT)) out.demoIdpPort = Number(env.DEMO_IDP_PORT);
    else bad('DEMO_IDP_PORT', 'is not a port number (an integer from 0 to 65535)');
  }
  if (env.DEMO_IDP_HOST) out.demoIdpHost = env.DEMO_IDP_HOST;
  if (problems.length) throw new ConfigError(problems, 'environment variables');
  return out;
}

/** `--workers` / BATON_WORKERS: a positive integer or `auto` (one per core). */
export function parseWorkers(v: string): number | 'auto' | undefined {
  if (v === 'auto') return 'auto';
  return /^\d+$/.test(v) && Number(v) >= 1 ? Number(v) : undefined;
}
