/**
 * Scenario 9's hook: scenarios 1 and 3 again "with the demo's Cedar policy set loaded".
 *
 * The Cedar engine is being written alongside this bench, so nothing here assumes its API. The
 * scenario runs when all of these hold, and otherwise reports "n/a" with the reason:
 *   1. `src/policy/cedar/engine.ts` exists;
 *   2. the config schema knows a top-level `policy` section;
 *   3. a policy section for the demo can be found, first of: `BATON_BENCH_POLICY` (JSON of the
 *      section, to try another policy), the `policy` key of the demo's own config (`demoConfig()`
 *      in src/demo/cast.ts) when it names a Cedar file, or the demo policy set the engine ships
 *      (`src/policy/cedar/example.cedar`) as `{ cedarFile, watch: false }`.
 * It then boots two Batons from the demo config (src/demo/cast.ts: the same agents, tools and
 * secrets docs/walkthrough.md uses), one with the section and one without, and runs the
 * demo's support-agent → tickets exchange and the tickets resource server's introspection on both,
 * so the difference is what policy costs.
 *
 * For the policy engineer: if the demo's policy ends up somewhere else, make `findPolicySection`
 * return it; nothing else in the bench needs to change.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigSchema } from '../src/config/schema.js';

export const ENGINE_PATH = fileURLToPath(new URL('../src/policy/cedar/engine.ts', import.meta.url));
export const DEMO_POLICY_PATH = fileURLToPath(
  new URL('../src/policy/cedar/example.cedar', import.meta.url),
);

export type PolicyHook =
  | {
      available: true;
      section: unknown;
      source: string;
      demoRaw(
        issuer: string,
        upstream: { issuer: string; jwk: Record<string, unknown> },
      ): Promise<Record<string, unknown>>;
    }
  | { available: false; reason: string };

interface DemoCastModule {
  demoConfig(
    issuer: string,
    idp: { issuer: string; jwksUri: string },
    port: number,
  ): Record<string, unknown>;
}

const loadDemo = async (): Promise<DemoCastModule> =>
  (await import('../src/demo/cast.js')) as DemoCastModule;

/** The demo config for the bench: inline JWKS for the bench's upstream (no IdP to fetch from), loopback. */
async function demoRaw(
  issuer: string,
  upstream: { issuer: string; jwk: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  const raw = (await loadDemo()).demoConfig(
    issuer,
    { issuer: upstream.issuer, jwksUri: 'http://127.0.0.1:9/jwks' },
    0,
  );
  return {
    ...raw,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    trustedIssuers: [
      {
        issuer: upstream.issuer,
        jwks: { keys: [upstream.jwk] },
        audience: issuer,
        algorithms: ['ES256'],
      },
    ],
  };
}

async function findPolicySection(): Promise<{ section: unknown; source: string } | undefined> {
  const env = process.env.BATON_BENCH_POLICY;
  if (env) return { section: JSON.parse(env) as unknown, source: 'BATON_BENCH_POLICY' };
  const raw = (await loadDemo()).demoConfig(
    'http://baton.test',
    { issuer: 'https://idp.test', jwksUri: 'https://idp.test/jwks' },
    0,
  );
  const p = raw.policy as { cedarFile?: unknown } | undefined;
  if (p && typeof p.cedarFile === 'string')
    return { section: p, source: `demoConfig().policy (${p.cedarFile})` };
  if (existsSync(DEMO_POLICY_PATH))
    return {
      section: { cedarFile: DEMO_POLICY_PATH, watch: false },
      source: 'src/policy/cedar/example.cedar',
    };
  return undefined;
}

export async function demoPolicyHook(): Promise<PolicyHook> {
  if (!existsSync(ENGINE_PATH)) return { available: false, reason: 'policy engine not present' };
  const shape = (ConfigSchema as unknown as { shape?: Record<string, unknown> }).shape;
  if (!shape || !('policy' in shape))
    return { available: false, reason: 'config schema has no policy section yet' };
  const found = await findPolicySection();
  if (!found)
    return {
      available: false,
      reason:
        'no demo policy set found (BATON_BENCH_POLICY, demoConfig().policy, src/policy/cedar/example.cedar)',
    };
  return { available: true, ...found, demoRaw };
}
