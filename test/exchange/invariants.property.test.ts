/**
 * Property tests of the invariants (docs/architecture.md), driving random sequences of exchanges (task start,
 * tool tokens with random targets and scopes, hand-offs to random agents) through the domain's
 * `exchangeToken` in process, and checking every issued token against its subject:
 * 1. scope never widens (and a request outside what is allowed is refused, never narrowed);
 * 2. time never extends; 3. audience never drifts; 4. depth is bounded, delegation only as policy names.
 * Each outcome (issued, or which RFC error) must also match a small model of the rules.
 */
import fc from 'fast-check';
import type { AgentConfig, Config } from '../../src/config/schema.js';
import { BatonError } from '../../src/errors.js';
import type { BatonContext } from '../../src/context.js';
import { exchangeToken } from '../../src/exchange/exchange.js';
import type { ExchangeRequest } from '../../src/exchange/request.js';
import {
  actorChain,
  splitScope,
  TOKEN_TYPE_ACCESS,
  type BatonClaims,
} from '../../src/tokens/claims.js';
import {
  BILLING,
  claimsOf,
  ISSUER,
  makeUpstream,
  startBaton,
  testConfig,
  TICKETS,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

const SCOPES = ['tickets:read', 'tickets:write', 'billing:read', 'billing:export', 'admin:all'];
const AGENTS = ['support-agent', 'billing-agent', 'isolated-agent', 'orchestrator'];
const TARGETS = [TICKETS, BILLING, 'tickets', 'billing', 'https://tools.test/unknown'];
/** The agent most likely to be allowed to take a task from each, so chains grow deep. */
const PARTNER: Record<string, string> = {
  'support-agent': 'billing-agent',
  'billing-agent': 'support-agent',
  'isolated-agent': 'support-agent',
  orchestrator: 'billing-agent',
};

type Expected = { ok: true; scopes: string[] } | { ok: false; code: string };
const refuse = (code: string): Expected => ({ ok: false, code });
const inter = (a: Iterable<string>, b: Iterable<string>) =>
  new Set([...a].filter((x) => new Set(b).has(x)));

/** Requested scopes must lie within `allowed`; none requested means all of it (refused if empty). */
function grant(requested: string[] | undefined, allowed: Set<string>): Expected {
  if (requested === undefined)
    return allowed.size ? { ok: true, scopes: [...allowed] } : refuse('invalid_scope');
  return requested.every((s) => allowed.has(s))
    ? { ok: true, scopes: requested }
    : refuse('invalid_scope');
}

function modelTool(
  cfg: Config,
  caller: AgentConfig,
  subject: BatonClaims,
  target: string,
  requested?: string[],
): Expected {
  const tool = cfg.tools.find((t) => t.resource === target || t.name === target);
  if (!tool) return refuse('invalid_target');
  if (subject.act.sub !== caller.id) return refuse('invalid_request');
  const rule = caller.tools[tool.resource];
  if (!rule) return refuse('invalid_target');
  return grant(requested, inter(inter(splitScope(subject.scope), rule.scopes), tool.scopes));
}

function modelHandOff(
  cfg: Config,
  caller: AgentConfig,
  subject: BatonClaims,
  requested?: string[],
): Expected {
  const current = cfg.agents.find((a) => a.id === subject.act.sub)!;
  if (current.id === caller.id || !current.handOffTo.includes(caller.id))
    return refuse('invalid_request');
  if (actorChain(subject.act).length + 1 > cfg.defaults.maxDepth) return refuse('invalid_request');
  return grant(requested, inter(splitScope(subject.scope), caller.taskScopes));
}

/**
 * A requested scope: none, some of what is allowed, or that plus one scope outside it. Resolved
 * against the allowed set at run time so that most requests are plausible and some overreach.
 */
type ScopeChoice = { kind: 'none' } | { kind: 'within' | 'outside'; pick: string[]; extra: number };
const scopeArb: fc.Arbitrary<ScopeChoice> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('within' as const, 'outside' as const),
      pick: fc.subarray(SCOPES),
      extra: fc.nat(),
    }),
    weight: 3,
  },
);
function resolveScope(c: ScopeChoice, allowed: Set<string>): string[] | undefined {
  if (c.kind === 'none') return undefined;
  const within = c.pick.filter((s) => allowed.has(s));
  const outside = SCOPES.filter((s) => !allowed.has(s));
  const scopes =
    c.kind === 'outside' && outside.length
      ? [...within, outside[c.extra % outside.length]!]
      : within;
  return scopes.length ? scopes : undefined;
}
const stepArb = fc.record({
  kind: fc.constantFrom('tool' as const, 'hand_off' as const),
  /** `natural`: the current actor for a tool token, its likeliest taker for a hand-off. */
  agent: fc.oneof(
    { arbitrary: fc.constant('natural'), weight: 4 },
    { arbitrary: fc.constantFrom(...AGENTS), weight: 1 },
  ),
  target: fc.constantFrom(...TARGETS),
  scope: scopeArb,
  /** How far back in the pool of task tokens the subject is (0 = the newest). */
  back: fc.oneof(
    { arbitrary: fc.constant(0), weight: 3 },
    { arbitrary: fc.nat({ max: 3 }), weight: 1 },
  ),
});
const runArb = fc.record({
  starter: fc.constantFrom(...AGENTS),
  userScope: fc.subarray(SCOPES, { minLength: 2 }),
  userExpIn: fc.integer({ min: 30, max: 3600 }),
  scope: scopeArb,
  steps: fc.array(stepArb, { minLength: 1, maxLength: 15 }),
});

let upstream: Upstream;
let b: RunningBaton;
let ctx: BatonContext;
/** What the random runs exercised: each kind must have happened for the test to mean anything. */
const seen = { start: 0, tool: 0, hand_off: 0, refused: 0 };

beforeAll(async () => {
  upstream = await makeUpstream();
  b = await startBaton(testConfig(upstream));
  ctx = b.baton.ctx;
});
afterAll(() => b?.close());

const agent = (id: string) => ctx.config.agents.find((a) => a.id === id)!;
const request = (
  subjectToken: string,
  target: Partial<ExchangeRequest>,
  scope?: string[],
): ExchangeRequest => ({
  subjectToken,
  subjectTokenType: TOKEN_TYPE_ACCESS,
  resources: [],
  audiences: [],
  ...target,
  ...(scope ? { scope } : {}),
});

/** Runs one exchange; the outcome (issued, or which refusal) must match the model. */
async function run(
  caller: string,
  req: ExchangeRequest,
  expected: Expected,
): Promise<{ token: string; claims: BatonClaims } | undefined> {
  const out = await exchangeToken(ctx, ctx.clients.get(caller)!, req).catch((e: unknown) => {
    if (!(e instanceof BatonError)) throw e;
    return e;
  });
  if (out instanceof BatonError) {
    expect({ refused: out.code, why: out.description }).toEqual({
      refused: expected.ok ? 'nothing: the model issues' : expected.code,
      why: out.description,
    });
    seen.refused++;
    return undefined;
  }
  expect(expected.ok).toBe(true);
  // Invariant 1, never narrowed: exactly the scopes asked for (or all that are allowed).
  const claims = out.claims;
  if (!claims) throw new Error(`no claims for a ${out.operation}`);
  if (expected.ok) expect(new Set(splitScope(claims.scope))).toEqual(new Set(expected.scopes));
  return { token: out.response.access_token, claims };
}

function checkCommon(
  issued: BatonClaims,
  subject: { sub: string; exp: number; txn?: string },
  deadline: number,
): void {
  expect(issued.iss).toBe(ISSUER);
  expect(issued.sub).toBe(subject.sub);
  if (subject.txn) expect(issued.txn).toBe(subject.txn);
  // Invariant 2: time never extends.
  expect(issued.exp).toBeLessThanOrEqual(subject.exp);
  expect(issued.exp).toBeLessThanOrEqual(deadline);
  // Invariant 4: depth bounded.
  expect(actorChain(issued.act).length).toBeLessThanOrEqual(ctx.config.defaults.maxDepth);
  expect(actorChain(issued.act).length).toBeGreaterThanOrEqual(1);
}

it('invariants 1–4 hold for every token issued along random exchange sequences, and refusals follow the rules', async () => {
  await fc.assert(
    fc.asyncProperty(runArb, async (r) => {
      const userToken = await upstream.userToken({
        scope: r.userScope.join(' '),
        expIn: r.userExpIn,
      });
      const userExp = claimsOf(userToken).exp;
      const starter = agent(r.starter);
      const startScope = resolveScope(r.scope, inter(r.userScope, starter.taskScopes));
      const started = await run(
        r.starter,
        request(userToken, { audiences: [ISSUER] }, startScope),
        grant(startScope, inter(r.userScope, starter.taskScopes)),
      );
      if (!started) return;
      seen.start++;
      const start = started.claims;
      const deadline = start.exp;
      expect(start.aud).toBe(ISSUER);
      expect(start.act).toEqual({ sub: r.starter });
      for (const s of splitScope(start.scope))
        expect(r.userScope.includes(s) && starter.taskScopes.includes(s)).toBe(true);
      checkCommon(
        start,
        { sub: 'alice@example.com', exp: userExp },
        Math.floor(Date.now() / 1000) + ctx.config.defaults.taskTtlSeconds,
      );

      const pool = [started];
      for (const step of r.steps) {
        const subject = pool[Math.max(0, pool.length - 1 - step.back)]!;
        const natural =
          step.kind === 'tool' ? subject.claims.act.sub : PARTNER[subject.claims.act.sub]!;
        const callerId = step.agent === 'natural' ? natural : step.agent;
        const caller = agent(callerId);
        const taskScope = new Set(splitScope(subject.claims.scope));
        if (step.kind === 'tool') {
          // A tool by resource URI, or by name as audience.
          const target = step.target.startsWith('https:')
            ? { resources: [step.target] }
            : { audiences: [step.target] };
          const tool = ctx.tools.find(step.target);
          const rule = tool ? caller.tools[tool.resource] : undefined;
          const scope = resolveScope(
            step.scope,
            tool && rule ? inter(inter(taskScope, rule.scopes), tool.scopes) : taskScope,
          );
          const out = await run(
            callerId,
            request(subject.token, target, scope),
            modelTool(ctx.config, caller, subject.claims, step.target, scope),
          );
          if (!out) continue;
          const issued = out.claims;
          seen.tool++;
          if (!tool || !rule)
            throw new Error('issued a tool token for a tool the agent has no rule for');
          // Invariant 3: exactly one tool, one this agent may use; act copied unchanged.
          expect(issued.aud).toBe(tool.resource);
          expect(Object.keys(caller.tools)).toContain(issued.aud);
          expect(issued.act).toEqual(subject.claims.act);
          expect(issued.client_id).toBe(callerId);
          // Invariant 1: ⊆ task scope ∩ agent tool rule ∩ tool scopes.
          for (const s of splitScope(issued.scope))
            expect(taskScope.has(s) && rule.scopes.includes(s) && tool.scopes.includes(s)).toBe(
              true,
            );
          // Invariant 2: ≤ rule (or default) max TTL.
          expect(issued.exp - issued.iat).toBeLessThanOrEqual(
            rule.maxTtlSeconds ?? ctx.config.defaults.toolTokenTtlSeconds,
          );
          checkCommon(issued, subject.claims, deadline);
        } else {
          const scope = resolveScope(step.scope, inter(taskScope, caller.taskScopes));
          const out = await run(
            callerId,
            request(subject.token, { audiences: [ISSUER] }, scope),
            modelHandOff(ctx.config, caller, subject.claims, scope),
          );
          if (!out) continue;
          const issued = out.claims;
          seen.hand_off++;
          // Invariant 4: one level deeper, the new actor on top, delegation only as policy names.
          expect(issued.act).toEqual({ sub: callerId, act: subject.claims.act });
          expect(agent(subject.claims.act.sub).handOffTo).toContain(callerId);
          expect(issued.aud).toBe(ISSUER);
          // Invariant 1: ⊆ subject scope ∩ the new agent's task scopes.
          for (const s of splitScope(issued.scope))
            expect(taskScope.has(s) && caller.taskScopes.includes(s)).toBe(true);
          checkCommon(issued, subject.claims, deadline);
          pool.push(out);
        }
      }
    }),
    { numRuns: 50 },
  );
  // The runs must have exercised every operation, deep chains and the depth limit.
  expect(seen.start).toBeGreaterThan(0);
  expect(seen.tool).toBeGreaterThan(0);
  expect(seen.hand_off).toBeGreaterThan(0);
  expect(seen.refused).toBeGreaterThan(0);
});

it('invariant 4: along random hand-off chains, depth never exceeds defaults.maxDepth and each level is one the previous actor may hand to', async () => {
  let depthRefusals = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          { arbitrary: fc.constant('natural'), weight: 5 },
          { arbitrary: fc.constantFrom(...AGENTS), weight: 1 },
        ),
        { minLength: 4, maxLength: 8 },
      ),
      async (takers) => {
        const user = await upstream.userToken({ scope: 'tickets:read billing:read' });
        const started = await run('support-agent', request(user, { audiences: [ISSUER] }), {
          ok: true,
          scopes: ['tickets:read', 'billing:read'],
        });
        let { token: current, claims } = started!;
        for (const t of takers) {
          const takerId = t === 'natural' ? PARTNER[claims.act.sub]! : t;
          const expected = modelHandOff(ctx.config, agent(takerId), claims, undefined);
          const depth = actorChain(claims.act).length + 1;
          if (
            depth > ctx.config.defaults.maxDepth &&
            agent(claims.act.sub).handOffTo.includes(takerId) &&
            takerId !== claims.act.sub
          )
            depthRefusals++;
          const out = await run(takerId, request(current, { audiences: [ISSUER] }), expected);
          if (!out) continue;
          expect(actorChain(out.claims.act)).toEqual([takerId, ...actorChain(claims.act)]);
          expect(actorChain(out.claims.act).length).toBeLessThanOrEqual(
            ctx.config.defaults.maxDepth,
          );
          expect(out.claims.txn).toBe(claims.txn);
          current = out.token;
          claims = out.claims;
        }
      },
    ),
    { numRuns: 30 },
  );
  // Chains of natural takers reach the limit: the depth refusal was exercised.
  expect(depthRefusals).toBeGreaterThan(0);
});
