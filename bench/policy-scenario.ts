/**
 * Scenario 9: exchange and introspection with the demo's Cedar policy set loaded, and the same
 * demo config without it, so the difference is what policy costs. Whether it can run at all is
 * bench/policy-hook.ts's call; when it cannot, both rows say why ("n/a (...)").
 */
import type { KeyFile } from '../src/keys/keyset.js';
import { DEMO, demoResources } from '../src/demo/cast.js';
import { ISSUER, type Upstream } from '../test/support/index.js';
import { spawnTarget } from './children.js';
import { drive, type LoadSettings } from './load.js';
import { demoPolicyHook } from './policy-hook.js';
import type { ScenarioEntry } from './report.js';
import * as spec from './specs.js';
import { round } from './stats.js';

export interface PolicyScenarioDeps {
  settings: LoadSettings;
  upstream: Upstream;
  keyFile: KeyFile;
  redisUrl: string;
  prefix: string;
  /** The bench's own rate limits (bench/options.ts), not the demo's defaults. */
  rateLimits: Record<string, unknown>;
  log(msg: string): void;
}

const DEMO_CAST: spec.BatonCast = {
  issuer: ISSUER,
  // The demo config the bench boots is made for port 0 (bench/policy-hook.ts).
  tool: demoResources(0).tickets,
  agent: { id: 'support-agent', secret: DEMO.agents['support-agent'] },
  rs: { id: DEMO.tools.tickets.rs, secret: DEMO.tools.tickets.secret },
};

const TITLES = {
  exchange_policy: 'Baton exchange, demo Cedar policy set loaded',
  introspect_policy: 'Baton introspection, demo Cedar policy set loaded',
  exchange_policy_baseline: 'Baton exchange, demo config without policy',
  introspect_policy_baseline: 'Baton introspection, demo config without policy',
} as const;

function notAvailable(d: PolicyScenarioDeps, reason: string): Record<string, ScenarioEntry> {
  d.log(`9: policy rows n/a (${reason})`);
  const na = (title: string): ScenarioEntry => ({
    n: '9',
    title,
    rps: null,
    p50_ms: null,
    p99_ms: null,
    note: `n/a (${reason})`,
  });
  return {
    exchange_policy: na(TITLES.exchange_policy),
    introspect_policy: na(TITLES.introspect_policy),
  };
}

export interface PolicyScenario {
  /** Runs the rows (or returns the n/a rows); stops the Batons it started. */
  run(): Promise<Record<string, ScenarioEntry>>;
  stop(): Promise<void>;
}

/**
 * Starts the two demo Batons (with and without the policy) at once, so their start-up overlaps
 * the others'; `run` drives them later, interleaved: exchange with, without, introspection with,
 * without.
 */
export async function preparePolicyScenario(d: PolicyScenarioDeps): Promise<PolicyScenario> {
  const hook = await demoPolicyHook();
  const na = (reason: string): PolicyScenario => ({
    run: async () => notAvailable(d, reason),
    stop: async () => {},
  });
  if (!hook.available) return na(hook.reason);
  const base = await hook.demoRaw(ISSUER, {
    issuer: d.upstream.issuer,
    jwk: d.upstream.jwk as Record<string, unknown>,
  });
  const withoutPolicy = Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'policy'));
  // A prefix of each's own, so the demo's tasks never mix with the main run's.
  const start = (suffix: string, raw: Record<string, unknown>) =>
    spawnTarget('baton', `baton-demo${suffix || '-policy'}`, {
      rawConfig: {
        ...raw,
        rateLimits: d.rateLimits,
        store: { kind: 'redis', url: d.redisUrl, prefix: `${d.prefix}demo${suffix}:` },
      },
      keyFile: d.keyFile,
    });
  const [withP, without] = await Promise.all([
    start('', { ...withoutPolicy, policy: hook.section }),
    start('_baseline', withoutPolicy),
  ]);
  const stop = async () => {
    await Promise.all([withP.stop(), without.stop()]);
  };
  const loaded = await withP.call<{ loaded: boolean; version?: string }>('policy-loaded');
  if (!loaded.loaded) {
    await stop();
    return na('policy section accepted, but bootBaton loads no policy (ctx.policy unset)');
  }
  return {
    stop,
    run: async () => {
      d.log(`9: demo policy from ${hook.source}, version ${loaded.version ?? '?'}`);
      const tokens = async (url: string) => {
        const task = await spec.startTaskOn(
          url,
          DEMO_CAST,
          await d.upstream.userToken({ scope: 'tickets:read tickets:write billing:read' }),
        );
        return { task, tool: await spec.toolTokenOn(url, DEMO_CAST, task) };
      };
      const out: Record<string, ScenarioEntry> = {};
      for (const what of ['exchange', 'introspect'] as const)
        for (const [suffix, baton] of [
          ['', withP],
          ['_baseline', without],
        ] as const) {
          const key = `${what}_policy${suffix}` as keyof typeof TITLES;
          const t = await tokens(baton.url);
          const s =
            what === 'exchange'
              ? spec.exchangeSpec(baton.url, DEMO_CAST, t.task, key)
              : spec.introspectSpec(baton.url, DEMO_CAST, t.tool, key);
          const r = await drive(s, d.settings);
          d.log(
            `9 ${key}: ${Math.round(r.rps)} req/s, p50 ${r.p50_ms.toFixed(2)} ms, p99 ${r.p99_ms.toFixed(2)} ms`,
          );
          out[key] = {
            ...r,
            n: '9',
            title: TITLES[key],
            rps: round(r.rps, 1),
            p50_ms: round(r.p50_ms, 3),
            p99_ms: round(r.p99_ms, 3),
            ...(suffix === ''
              ? { policy_source: hook.source, policy_version: loaded.version }
              : {}),
          };
        }
      await stop();
      return out;
    },
  };
}
