import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { applyEnvOverrides } from '../../config/load.js';
import { ConfigSchema, type Config } from '../../config/schema.js';
import { fieldsAt, nearestName } from './nearest.js';

/**
 * `baton config check`: everything a server would trip over at start or at its first request,
 * found before it is deployed. Each finding is one line; its severity picks the exit code.
 */
export type Severity = 'error' | 'warning' | 'ok';
export interface Finding {
  severity: Severity;
  /** The field's path (`agents.0.auth.secretHash`), or what was checked. */
  path: string;
  message: string;
}

export interface CheckDeps {
  env: NodeJS.ProcessEnv;
  /** Connects to the configured Redis and pings it (src/store/redis/connect.ts). */
  pingRedis: (store: Config['store'], timeoutMs: number) => Promise<void>;
}

const dotted = (path: readonly PropertyKey[]) =>
  path.length ? path.map(String).join('.') : '(root)';

/** Schema problems with their paths; an unknown field names the nearest valid one. */
export function schemaFindings(raw: unknown): { config?: Config; findings: Finding[] } {
  const r = ConfigSchema.safeParse(raw);
  if (r.success)
    return { config: r.data, findings: [{ severity: 'ok', path: 'schema', message: 'valid' }] };
  const findings: Finding[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const valid = fieldsAt(ConfigSchema, issue.path);
      for (const key of issue.keys) {
        const near = nearestName(key, valid);
        findings.push({
          severity: 'error',
          path: dotted([...issue.path, key]),
          message: `unknown field${near ? `; did you mean ${near}?` : valid.length ? ` (valid: ${valid.join(', ')})` : ''}`,
        });
      }
    } else findings.push({ severity: 'error', path: dotted(issue.path), message: issue.message });
  }
  return { findings };
}

/** Key files: present (or generated at start), readable, and not readable by group or others. */
export function keyFindings(config: Config): Finding[] {
  const dir = config.keys.dir;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && config.keys.generateIfMissing)
      return [
        {
          severity: 'warning',
          path: 'keys.dir',
          message: `${dir} does not exist; a key is generated at start (one instance only: several would each make their own)`,
        },
      ];
    return [
      {
        severity: 'error',
        path: 'keys.dir',
        message: `cannot read ${dir} (${code ?? 'error'}); create a key with: baton keys generate --dir ${dir}`,
      },
    ];
  }
  if (names.length === 0)
    return [
      config.keys.generateIfMissing
        ? {
            severity: 'warning',
            path: 'keys.dir',
            message: `no key in ${dir}; one is generated at start (one instance only)`,
          }
        : {
            severity: 'error',
            path: 'keys.dir',
            message: `no key in ${dir}; create one with: baton keys generate --dir ${dir}`,
          },
    ];
  const out: Finding[] = [];
  for (const n of names) {
    const file = join(dir, n);
    try {
      const mode = statSync(file).mode & 0o777;
      JSON.parse(readFileSync(file, 'utf8'));
      if (mode & 0o077)
        out.push({
          severity: 'error',
          path: 'keys.dir',
          message: `${file} holds a private key and is readable by others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 ${file}`,
        });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      out.push({
        severity: 'error',
        path: 'keys.dir',
        message: code ? `cannot read ${file} (${code})` : `${file} is not valid JSON`,
      });
    }
  }
  if (!out.length)
    out.push({
      severity: 'ok',
      path: 'keys.dir',
      message: `${names.length} key file${names.length === 1 ? '' : 's'} in ${dir}, readable by the owner only`,
    });
  return out;
}

/** The Cedar file, validated against Baton's schema as the server loads it. */
export async function cedarFindings(config: Config): Promise<Finding[]> {
  const file = config.policy.cedarFile;
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return [
      {
        severity: 'error',
        path: 'policy.cedarFile',
        message: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      },
    ];
  }
  const { checkPolicy } = await import('../../policy/cedar/check.js');
  const r = checkPolicy(text, undefined, file);
  if (!r.ok)
    return r.problems.map((p) => ({ severity: 'error', path: 'policy.cedarFile', message: p }));
  return [
    {
      severity: 'ok',
      path: 'policy.cedarFile',
      message: `${file}: version ${r.version}, ${r.policies.length} policies`,
    },
    ...r.warnings.map(
      (w): Finding => ({ severity: 'warning', path: 'policy.cedarFile', message: w }),
    ),
  ];
}

/** Each trusted issuer's JWKS: fetched as the server would, with keys in it. */
export async function jwksFindings(config: Config): Promise<Finding[]> {
  return Promise.all(
    config.trustedIssuers.map(async (t, i): Promise<Finding> => {
      const path = `trustedIssuers.${i}.jwksUri`;
      if (!t.jwksUri)
        return {
          severity: 'ok',
          path: `trustedIssuers.${i}.jwks`,
          message: `${t.issuer}: ${t.jwks?.keys.length ?? 0} keys given inline`,
        };
      try {
        const res = await fetch(t.jwksUri, {
          signal: AbortSignal.timeout(config.upstreamJwks.timeoutMs),
          headers: { accept: 'application/json' },
        });
        if (!res.ok)
          return { severity: 'error', path, message: `${t.jwksUri} answered HTTP ${res.status}` };
        const body = (await res.json()) as { keys?: unknown };
        if (!Array.isArray(body.keys) || body.keys.length === 0)
          return { severity: 'error', path, message: `${t.jwksUri} holds no "keys"` };
        return {
          severity: 'ok',
          path,
          message: `${t.issuer}: JWKS reachable (${body.keys.length} keys)`,
        };
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
        return {
          severity: 'error',
          path,
          message: `${t.jwksUri} unreachable (${cause}); tokens of ${t.issuer} would be refused with 503`,
        };
      }
    }),
  );
}

/** Redis, when the config uses it: connected and pinged. */
export async function storeFindings(config: Config, deps: CheckDeps): Promise<Finding[]> {
  if (config.store.kind !== 'redis')
    return [
      {
        severity: 'ok',
        path: 'store',
        message: 'memory store (one instance only; use Redis for several)',
      },
    ];
  try {
    await deps.pingRedis(config.store, config.store.pingTimeoutMs);
    return [{ severity: 'ok', path: 'store', message: 'Redis reachable' }];
  } catch (e) {
    return [{ severity: 'error', path: 'store', message: (e as Error).message }];
  }
}

/** What is valid but likely a mistake. */
export function adviceFindings(config: Config): Finding[] {
  const out: Finding[] = [];
  if (!config.admin)
    out.push({
      severity: 'warning',
      path: 'admin',
      message:
        'no admin keys or login: the admin API, the console and the baton CLI cannot be used',
    });
  const host = new URL(config.issuer).hostname;
  if (config.issuer.startsWith('http:') && !['localhost', '127.0.0.1', '[::1]'].includes(host))
    out.push({
      severity: 'warning',
      path: 'issuer',
      message:
        'plain http outside loopback: tokens would cross the network in clear (serve behind TLS)',
    });
  if (config.tools.length === 0)
    out.push({
      severity: 'warning',
      path: 'tools',
      message: 'no tools: agents can start tasks but get no tool tokens',
    });
  return out;
}

/** Reads, validates and probes one configuration file. */
export async function checkConfigFile(file: string, deps: CheckDeps): Promise<Finding[]> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return [
      {
        severity: 'error',
        path: file,
        message: code
          ? `cannot read (${code})`
          : `not YAML: ${(e as Error).message.split('\n')[0]}`,
      },
    ];
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return [{ severity: 'error', path: '(root)', message: 'expected a mapping of fields' }];
  const { config, findings } = schemaFindings(
    applyEnvOverrides(raw as Record<string, unknown>, deps.env),
  );
  if (!config) return findings;
  // As the server does (src/config/load.ts): a relative cedarFile is beside the config file.
  const { dirname, isAbsolute, resolve } = await import('node:path');
  const cedarFile = config.policy.cedarFile;
  const resolved: Config =
    cedarFile && !isAbsolute(cedarFile)
      ? { ...config, policy: { ...config.policy, cedarFile: resolve(dirname(file), cedarFile) } }
      : config;
  const probes = await Promise.all([
    cedarFindings(resolved),
    jwksFindings(resolved),
    storeFindings(resolved, deps),
  ]);
  return [...findings, ...keyFindings(resolved), ...probes.flat(), ...adviceFindings(resolved)];
}

/** Exit code by the worst finding: 1 an error, 5 warnings only, 0 clean (docs/cli.md). */
export function exitCodeOf(findings: Finding[]): number {
  if (findings.some((f) => f.severity === 'error')) return 1;
  if (findings.some((f) => f.severity === 'warning')) return 5;
  return 0;
}
