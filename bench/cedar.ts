/**
 * Micro-benchmark of one Cedar decision with the demo policy set (src/policy/cedar/example.cedar):
 * `npx tsx bench/cedar.ts [iterations]`. Prints µs per decision, uncached (a different agent on
 * every call, so every call misses), with the cache off, and cached (the same request again),
 * plus a trivial one-policy set and a set that reads context.time (never cached) for comparison.
 */
import { readFileSync } from 'node:fs';
import { CedarPolicySet, type PolicyRequest } from '../src/policy/cedar/engine.js';

const N = Number(process.argv[2] ?? 20_000);
const example = CedarPolicySet.load(
  readFileSync(new URL('../src/policy/cedar/example.cedar', import.meta.url), 'utf8'),
  'example.cedar',
  { cacheSize: N + 1 },
);
const exampleNoCache = CedarPolicySet.load(
  readFileSync(new URL('../src/policy/cedar/example.cedar', import.meta.url), 'utf8'),
  'example.cedar',
  { cacheSize: 0 },
);
const trivial = CedarPolicySet.load(
  '@id("all") permit (principal, action, resource);',
  'trivial.cedar',
  { cacheSize: 0 },
);
const timed = CedarPolicySet.load(
  '@id("office-hours") permit (principal, action, resource) when { context.time.hour >= 6 && context.time.hour < 22 };\n' +
    '@id("no-export") forbid (principal, action, resource) when { context.scopes.contains("billing:export") };',
  'timed.cedar',
);

/** A realistic exchange: a delegated task, a user with a handful of claims, one tool call's details. */
const request = (i: number): PolicyRequest => ({
  principal: { id: `billing-agent-${i}`, tenant: 'acme', labels: ['finance', 'tier-1'] },
  action: 'exchange',
  resource: {
    type: 'Tool',
    id: 'https://tools.example.com/billing',
    name: 'billing',
    tenant: 'acme',
    labels: ['pii'],
  },
  context: {
    scopes: ['billing:read', 'tickets:read'],
    user: {
      sub: `user-${i}`,
      iss: 'https://idp.example.com',
      tenant: 'acme',
      email: `user-${i}@acme.example`,
      groups: ['staff', 'emea'],
      roles: ['reader'],
    },
    act: ['billing-agent', 'support-agent'],
    current_actor: 'billing-agent',
    depth: 2,
    purpose: 'answer ticket 42 about a double charge',
    tool: 'https://tools.example.com/billing',
    time: { epoch: 1_767_777_600, hour: 10, weekday: 3 },
    authorization_details: [{ type: 'tool_call', action: 'read', target: 'invoice/7' }],
  },
});

function measure(
  label: string,
  set: CedarPolicySet,
  req: (i: number) => PolicyRequest,
  expectCached: boolean,
): number {
  for (let i = 0; i < 2_000; i++) set.decide(req(-1 - i)); // warm up (distinct keys, so the measured run still misses)
  const reqs = Array.from({ length: N }, (_, i) => req(i)); // built outside the timed loop
  const t0 = process.hrtime.bigint();
  let allowed = 0;
  let cached = 0;
  for (const r of reqs) {
    const d = set.decide(r);
    if (d.allow) allowed++;
    if (d.cached) cached++;
  }
  const us = Number(process.hrtime.bigint() - t0) / N / 1000;
  if ((cached === N) !== expectCached)
    throw new Error(
      `${label}: expected ${expectCached ? 'all' : 'no'} cached decisions, got ${cached}/${N}`,
    );
  if (allowed !== N)
    throw new Error(`${label}: expected every decision to allow, got ${allowed}/${N}`);
  console.log(
    `${label.padEnd(44)} ${us.toFixed(1).padStart(7)} µs/decision  (${Math.round(1e6 / us)}/s)`,
  );
  return us;
}

console.log(`Cedar ${N} decisions each, node ${process.version}`);
measure('example policy, uncached (miss + insert)', example, request, false);
measure('example policy, cache off', exampleNoCache, request, false);
measure('example policy, cached', example, () => request(0), true);
measure('trivial policy, cache off', trivial, request, false);
measure('reads context.time (never cached)', timed, () => request(0), false);
