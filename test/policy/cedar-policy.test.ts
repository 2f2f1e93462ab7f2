import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CedarPolicySet,
  NO_PERMIT,
  PolicyLoadError,
  type PolicyContext,
  type PolicyRequest,
} from '../../src/policy/cedar/engine.js';
import { PolicyHolder, type PolicyLogger } from '../../src/policy/cedar/holder.js';
import { checkPolicy, formatCheck, PolicyQuestionError } from '../../src/policy/cedar/check.js';

const EXAMPLE = readFileSync(
  new URL('../../src/policy/cedar/example.cedar', import.meta.url),
  'utf8',
);
const BILLING = 'https://tools.example.com/billing';
const DEPLOY = 'https://tools.example.com/deploy';

/** A realistic exchange: billing-agent (tenant acme), handed the task by support-agent, asks for billing. */
function request(
  patch: {
    principal?: Partial<PolicyRequest['principal']>;
    action?: PolicyRequest['action'];
    resource?: PolicyRequest['resource'];
    context?: Partial<PolicyContext>;
  } = {},
): PolicyRequest {
  const context: PolicyContext = {
    scopes: ['billing:read'],
    user: {
      sub: 'alice',
      iss: 'https://idp.example.com',
      tenant: 'acme',
      email: 'alice@acme.example',
      groups: ['staff'],
      roles: ['reader'],
    },
    act: ['billing-agent', 'support-agent'],
    current_actor: 'billing-agent',
    depth: 2,
    purpose: 'answer ticket 42',
    tool: BILLING,
    time: { epoch: 1_767_777_600, hour: 10, weekday: 3 },
    authorization_details: [{ type: 'tool_call', action: 'read', target: 'invoice/7' }],
    ...patch.context,
  };
  for (const k of Object.keys(context) as (keyof PolicyContext)[])
    if (context[k] === undefined) delete context[k];
  return {
    principal: { id: 'billing-agent', tenant: 'acme', labels: ['finance'], ...patch.principal },
    action: patch.action ?? 'exchange',
    resource: patch.resource ?? { type: 'Tool', id: BILLING, name: 'billing', tenant: 'acme' },
    context,
  };
}

const load = (text: string, source = 'test.cedar') => CedarPolicySet.load(text, source);

function loadError(text: string): string[] {
  try {
    load(text);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyLoadError);
    return (e as PolicyLoadError).problems;
  }
  throw new Error('expected a PolicyLoadError');
}

/**
 * One row per context field: a permit and a forbid that read it, and three requests — one
 * only the permit matches, one the forbid matches too (forbid wins), one nothing permits.
 */
interface FieldCase {
  field: string;
  policies: string;
  permitted: Parameters<typeof request>[0];
  forbidden: Parameters<typeof request>[0];
  unpermitted: Parameters<typeof request>[0];
}

const FIELD_CASES: FieldCase[] = [
  {
    field: 'scopes',
    policies: `
      @id("scopes-permit") permit (principal, action == Baton::Action::"exchange", resource) when { context.scopes.contains("billing:read") };
      @id("scopes-forbid") forbid (principal, action, resource) when { context.scopes.contains("billing:export") };`,
    permitted: {},
    forbidden: { context: { scopes: ['billing:read', 'billing:export'] } },
    unpermitted: { context: { scopes: ['tickets:read'] } },
  },
  {
    field: 'user (tenant claim)',
    policies: `
      @id("user-permit") permit (principal, action, resource)
        when { principal has tenant && context.user has tenant && principal.tenant == context.user.tenant && context.user has email && context.user.email like "*@acme.example" };
      @id("user-forbid") forbid (principal, action, resource)
        when { (context.user has groups && context.user.groups.contains("suspended")) || (context.user has roles && context.user.roles.contains("intern")) };`,
    permitted: {},
    forbidden: {
      context: {
        user: {
          sub: 'alice',
          iss: 'https://idp.example.com',
          tenant: 'acme',
          email: 'alice@acme.example',
          groups: ['staff', 'suspended'],
        },
      },
    },
    unpermitted: {
      context: {
        user: {
          sub: 'bob',
          iss: 'https://idp.example.com',
          tenant: 'globex',
          email: 'bob@acme.example',
        },
      },
    },
  },
  {
    field: 'act',
    policies: `
      @id("act-permit") permit (principal, action, resource) when { context.act.contains("support-agent") };
      @id("act-forbid") forbid (principal, action, resource) when { context.act.contains("rogue-agent") };`,
    permitted: {},
    forbidden: { context: { act: ['billing-agent', 'rogue-agent', 'support-agent'] } },
    unpermitted: { context: { act: ['billing-agent'] } },
  },
  {
    field: 'depth',
    policies: `
      @id("depth-permit") permit (principal, action, resource) when { context.depth >= 1 && context.depth <= 3 };
      @id("depth-forbid") forbid (principal, action, resource) when { context.depth == 3 };`,
    permitted: { context: { depth: 2 } },
    forbidden: { context: { depth: 3 } },
    unpermitted: { context: { depth: 4 } },
  },
  {
    field: 'purpose',
    policies: `
      @id("purpose-permit") permit (principal, action, resource) when { context has purpose && context.purpose like "*ticket*" };
      @id("purpose-forbid") forbid (principal, action, resource) when { context has purpose && context.purpose like "*refund*" };`,
    permitted: {},
    forbidden: { context: { purpose: 'ticket 42: refund the customer' } },
    unpermitted: { context: { purpose: undefined } },
  },
  {
    field: 'current_actor (hand_off)',
    policies: `
      @id("current-actor-permit") permit (principal == Baton::Agent::"billing-agent", action == Baton::Action::"hand_off", resource)
        when { context.current_actor == "support-agent" || context.current_actor == "ops-agent" };
      @id("current-actor-forbid") forbid (principal, action == Baton::Action::"hand_off", resource) when { context.current_actor == "ops-agent" };`,
    permitted: {
      action: 'hand_off',
      resource: { type: 'Task', id: 'txn-1' },
      context: { current_actor: 'support-agent', tool: undefined, depth: 2 },
    },
    forbidden: {
      action: 'hand_off',
      resource: { type: 'Task', id: 'txn-1' },
      context: { current_actor: 'ops-agent', tool: undefined },
    },
    unpermitted: {
      action: 'hand_off',
      resource: { type: 'Task', id: 'txn-1' },
      context: { current_actor: 'billing-agent', tool: undefined },
    },
  },
  {
    field: 'tool',
    policies: `
      @id("tool-permit") permit (principal, action, resource) when { context has tool && context.tool like "https://tools.example.com/*" };
      @id("tool-forbid") forbid (principal, action, resource) when { context has tool && context.tool == "https://tools.example.com/admin" };`,
    permitted: {},
    forbidden: { context: { tool: 'https://tools.example.com/admin' } },
    unpermitted: { context: { tool: 'https://elsewhere.example.net/billing' } },
  },
  {
    field: 'time',
    policies: `
      @id("time-permit") permit (principal, action, resource) when { context.time.hour >= 8 && context.time.hour < 18 && context.time.epoch > 0 };
      @id("time-forbid") forbid (principal, action, resource) when { context.time.weekday == 0 || context.time.weekday == 6 };`,
    permitted: { context: { time: { epoch: 1_767_777_600, hour: 10, weekday: 3 } } },
    forbidden: { context: { time: { epoch: 1_767_777_600, hour: 10, weekday: 0 } } },
    unpermitted: { context: { time: { epoch: 1_767_777_600, hour: 22, weekday: 3 } } },
  },
  {
    field: 'authorization_details',
    policies: `
      @id("details-permit") permit (principal, action, resource)
        when { context has authorization_details && context.authorization_details.contains({type: "tool_call", action: "read", target: "invoice/7"}) };
      @id("details-forbid") forbid (principal, action, resource)
        when { context has authorization_details && context.authorization_details.containsAny([{type: "tool_call", action: "refund", target: ""}]) };`,
    permitted: {},
    forbidden: {
      context: {
        authorization_details: [
          { type: 'tool_call', action: 'read', target: 'invoice/7' },
          { type: 'tool_call', action: 'refund' },
        ],
      },
    },
    unpermitted: { context: { authorization_details: undefined } },
  },
];

describe('Cedar policy engine: each context field', () => {
  test.each(FIELD_CASES)(
    '$field: permit, forbid over permit, nothing permits',
    ({ policies, permitted, forbidden, unpermitted }) => {
      const set = load(policies);
      const id = set.ids[0]!.replace(/-permit$/, '');
      expect(set.decide(request(permitted))).toEqual({
        allow: true,
        rule: `${id}-permit`,
        approval: false,
        cached: false,
      });
      expect(set.decide(request(forbidden))).toMatchObject({ allow: false, rule: `${id}-forbid` });
      expect(set.decide(request(unpermitted))).toMatchObject({ allow: false, rule: NO_PERMIT });
    },
  );

  test('agent and tool attributes from config: principal.labels, resource.tenant', () => {
    const set = load(`
      @id("finance-tools") permit (principal, action, resource is Baton::Tool)
        when { principal has labels && principal.labels.contains("finance") && resource has tenant && resource.tenant == "acme" };`);
    expect(set.decide(request()).allow).toBe(true);
    expect(set.decide(request({ principal: { labels: ['support'] } })).rule).toBe(NO_PERMIT);
    expect(
      set.decide(request({ resource: { type: 'Tool', id: BILLING, name: 'billing' } })).rule,
    ).toBe(NO_PERMIT);
  });
});

describe('Cedar policy engine: decisions', () => {
  test('only what the policies read is passed to Cedar, and that is enough: computed entities, record parts, uids', () => {
    const set = load(`
      @id("computed") permit (principal, action, resource)
        when { context.depth > 1 && (if context.depth > 5 then principal else principal) has tenant && (if context.depth > 5 then principal else principal).tenant == "acme" };
      @id("by-uid") forbid (principal in Baton::Agent::"rogue-agent", action, resource);
      @id("role") forbid (principal, action, resource) when { context.user has roles && context.user.roles.contains("intern") };`);
    expect(set.reads).toEqual(['depth', 'user.roles']);
    expect(set.decide(request())).toMatchObject({ allow: true, rule: 'computed' });
    expect(set.decide(request({ principal: { tenant: 'globex' } }))).toMatchObject({
      allow: false,
      rule: NO_PERMIT,
    });
    expect(set.decide(request({ principal: { id: 'rogue-agent' } }))).toMatchObject({
      allow: false,
      rule: 'by-uid',
    });
    expect(
      set.decide(
        request({
          context: { user: { sub: 'ivan', iss: 'https://idp.example.com', roles: ['intern'] } },
        }),
      ),
    ).toMatchObject({ allow: false, rule: 'role' });
  });

  test('the deciding rule names every satisfied permit (allow) or forbid (deny), sorted', () => {
    const set = load(`
      @id("b-permit") permit (principal, action, resource);
      @id("a-permit") permit (principal, action, resource) when { context.depth == 2 };
      @id("z-forbid") forbid (principal, action, resource) when { context.scopes.contains("x") };
      @id("y-forbid") forbid (principal, action, resource) when { context.scopes.contains("x") };`);
    expect(set.decide(request())).toMatchObject({ allow: true, rule: 'a-permit,b-permit' });
    expect(set.decide(request({ context: { depth: 1 } }))).toMatchObject({
      allow: true,
      rule: 'b-permit',
    });
    expect(set.decide(request({ context: { scopes: ['x'] } }))).toMatchObject({
      allow: false,
      rule: 'y-forbid,z-forbid',
    });
  });

  test('forbid beats permit, even a permit that names the agent and tool exactly', () => {
    const set = load(`
      @id("exact") permit (principal == Baton::Agent::"billing-agent", action == Baton::Action::"exchange", resource == Baton::Tool::"${BILLING}");
      @id("no-friday-nights") forbid (principal, action, resource) when { context.time.weekday == 5 && context.time.hour >= 20 };`);
    expect(set.decide(request())).toMatchObject({ allow: true, rule: 'exact' });
    expect(
      set.decide(request({ context: { time: { epoch: 1, hour: 21, weekday: 5 } } })),
    ).toMatchObject({ allow: false, rule: 'no-friday-nights' });
  });

  test('a request no policy permits is denied (cedar:no-permit); so is everything under an empty set', () => {
    const set = load(
      `@id("tickets-only") permit (principal, action, resource) when { context has tool && context.tool == "https://tools.example.com/tickets" };`,
    );
    expect(set.decide(request())).toEqual({
      allow: false,
      rule: NO_PERMIT,
      approval: false,
      cached: false,
    });
    const empty = load('// nothing here\n');
    expect(empty.ids).toEqual([]);
    expect(empty.warnings.join()).toMatch(/no policies/);
    expect(empty.decide(request())).toMatchObject({ allow: false, rule: NO_PERMIT });
  });

  test('@approval("required") on a deciding permit asks for approval; other permits do not', () => {
    const set = load(`
      @id("prod") @approval("required") permit (principal, action, resource) when { context.scopes.contains("deploy:prod") };
      @id("staging") permit (principal, action, resource) when { context.scopes.contains("deploy:staging") };`);
    const deploy = { type: 'Tool', id: DEPLOY, name: 'deploy' } as const;
    expect(
      set.decide(request({ resource: deploy, context: { scopes: ['deploy:prod'] } })),
    ).toMatchObject({ allow: true, rule: 'prod', approval: true });
    expect(
      set.decide(request({ resource: deploy, context: { scopes: ['deploy:staging'] } })),
    ).toMatchObject({ allow: true, rule: 'staging', approval: false });
    expect(
      set.decide(
        request({ resource: deploy, context: { scopes: ['deploy:staging', 'deploy:prod'] } }),
      ),
    ).toMatchObject({ allow: true, rule: 'prod,staging', approval: true });
  });

  test('an evaluation error denies and names the erroring policy (fail closed, even for a forbid Cedar would skip)', () => {
    const set = load(`
      @id("all") permit (principal, action, resource);
      @id("overflowing-forbid") forbid (principal, action, resource) when { context.depth + 9223372036854775807 > 0 };`);
    const d = set.decide(request());
    expect(d).toMatchObject({
      allow: false,
      rule: 'overflowing-forbid',
      approval: false,
      cached: false,
    });
    expect(d.errors?.join()).toMatch(/overflow/);
    // Errors are never cached.
    expect(set.decide(request()).cached).toBe(false);
  });

  test('the example policy: billing for the own tenant only, never export, refunds and deploy to prod need approval', () => {
    const set = load(EXAMPLE, 'example.cedar');
    expect(set.ids).toEqual([
      'start-task',
      'hand-off',
      'billing-own-tenant',
      'billing-refund-needs-approval',
      'billing-never-export',
      'deploy-prod-needs-approval',
      'other-tools',
    ]);
    expect(set.decide(request())).toMatchObject({
      allow: true,
      rule: 'billing-own-tenant',
      approval: false,
    });
    expect(
      set.decide(request({ context: { scopes: ['billing:read', 'billing:export'] } })),
    ).toMatchObject({ allow: false, rule: 'billing-never-export' });
    expect(
      set.decide(request({ context: { scopes: ['billing:read', 'billing:refund'] } })),
    ).toMatchObject({ allow: true, rule: 'billing-refund-needs-approval', approval: true });
    const otherTenant = { sub: 'bob', iss: 'https://idp.example.com', tenant: 'globex' };
    expect(set.decide(request({ context: { user: otherTenant } }))).toMatchObject({
      allow: false,
      rule: NO_PERMIT,
    });
    expect(
      set.decide(request({ context: { user: { sub: 'carol', iss: 'https://idp.example.com' } } })),
    ).toMatchObject({ allow: false, rule: NO_PERMIT });
    const deploy = { type: 'Tool', id: DEPLOY, name: 'deploy' } as const;
    expect(
      set.decide(request({ resource: deploy, context: { scopes: ['deploy:prod'], tool: DEPLOY } })),
    ).toMatchObject({ allow: true, rule: 'deploy-prod-needs-approval', approval: true });
    expect(
      set.decide(
        request({ resource: deploy, context: { scopes: ['deploy:staging'], tool: DEPLOY } }),
      ),
    ).toMatchObject({ allow: true, rule: 'other-tools', approval: false });
    const tickets = {
      type: 'Tool',
      id: 'https://tools.example.com/tickets',
      name: 'tickets',
    } as const;
    expect(
      set.decide(request({ resource: tickets, context: { scopes: ['tickets:read'] } })),
    ).toMatchObject({ allow: true, rule: 'other-tools' });
    const task = { type: 'Task', id: 'txn-1' } as const;
    expect(
      set.decide(
        request({
          action: 'start_task',
          resource: task,
          context: { tool: undefined, depth: 1, act: ['support-agent'] },
        }),
      ),
    ).toMatchObject({ allow: true, rule: 'start-task' });
    expect(
      set.decide(request({ action: 'hand_off', resource: task, context: { tool: undefined } })),
    ).toMatchObject({ allow: true, rule: 'hand-off' });
  });
});

describe('Cedar policy engine: validation at load', () => {
  test('an attribute the schema does not have is refused, naming the policy and its line', () => {
    const problems = loadError(
      `@id("ok") permit (principal, action, resource);\n@id("typo") permit (principal, action, resource) when { context.user has tenant && context.user.tennant == "acme" };`,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^test\.cedar:2:\d+: policy "typo": .*tennant.*not found/);
  });

  test('an unknown context field and an unknown entity attribute are refused', () => {
    const problems = loadError(
      `@id("ctx") permit (principal, action, resource) when { context.weather == "sunny" };\n@id("ent") permit (principal, action, resource) when { principal.department == "x" };`,
    );
    expect(problems.join('\n')).toMatch(/policy "ctx": attribute `weather` in context/);
    expect(problems.join('\n')).toMatch(/policy "ent": .*department/);
  });

  test('a comparison of the wrong type is refused', () => {
    const problems = loadError(
      `@id("depth-as-string") permit (principal, action, resource) when { context.depth == "2" };`,
    );
    expect(problems.join('\n')).toMatch(
      /policy "depth-as-string": .*Long.*String|policy "depth-as-string": .*String.*Long/,
    );
  });

  test('an optional attribute read without `has` is refused', () => {
    const problems = loadError(
      `@id("unguarded") permit (principal, action, resource) when { principal.tenant == context.user.tenant };`,
    );
    expect(problems.join('\n')).toMatch(/policy "unguarded": .*optional attribute/);
  });

  test('a policy without @id is refused, naming its position', () => {
    const problems = loadError(
      `@id("first") permit (principal, action, resource);\n\npermit (principal, action, resource);`,
    );
    expect(problems).toEqual([expect.stringMatching(/^test\.cedar:3:1: policy #2 has no @id/)]);
    expect(loadError(`@id permit (principal, action, resource);`)[0]).toMatch(
      /policy #1 has no @id/,
    );
  });

  test('a duplicate @id is refused, naming both', () => {
    const problems = loadError(
      `@id("same") permit (principal, action, resource);\n@id("same") forbid (principal, action, resource);`,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^test\.cedar:2:1: duplicate @id\("same"\) \(first used by policy #1\)/,
      ),
    ]);
  });

  test('a syntax error is refused with its line and column', () => {
    const problems = loadError(
      `// é — a comment with multibyte characters\n@id("broken") permit (principal, action, resource) when { context.depth == };`,
    );
    expect(problems[0]).toMatch(/^test\.cedar:2:\d+: .*unexpected token/);
    const col = Number(/^test\.cedar:2:(\d+)/.exec(problems[0]!)![1]);
    expect(
      `@id("broken") permit (principal, action, resource) when { context.depth == };`[col - 1],
    ).toBe('}');
  });

  test('templates, a bad @approval value and @approval on a forbid are refused', () => {
    expect(loadError(`@id("t") permit (principal == ?principal, action, resource);`)[0]).toMatch(
      /templates .* not supported/,
    );
    expect(loadError(`@id("a") @approval("yes") permit (principal, action, resource);`)[0]).toMatch(
      /policy "a": @approval must be "required"/,
    );
    expect(
      loadError(`@id("f") @approval("required") forbid (principal, action, resource);`)[0],
    ).toMatch(/policy "f": @approval applies to permit policies only/);
  });

  test('every problem of a file is reported in one go', () => {
    const problems = loadError(
      `permit (principal, action, resource);\n@id("x") permit (principal, action, resource) when { context.nope };`,
    );
    expect(problems).toHaveLength(2);
  });
});

describe('Cedar policy engine: versions and the decision cache', () => {
  test('version: 12 hex digits of SHA-256 of the text', () => {
    const a = load(EXAMPLE);
    expect(a.version).toMatch(/^[0-9a-f]{12}$/);
    expect(load(EXAMPLE).version).toBe(a.version);
    expect(CedarPolicySet.versionOf(EXAMPLE)).toBe(a.version);
    expect(load(`${EXAMPLE}\n// changed\n`).version).not.toBe(a.version);
  });

  test('a second identical decision is cached; a change in a field the policies read is decided afresh', () => {
    const set = load(EXAMPLE);
    expect(set.reads).toEqual(['scopes', 'user.tenant']);
    expect(set.decide(request()).cached).toBe(false);
    expect(set.decide(request())).toEqual({
      allow: true,
      rule: 'billing-own-tenant',
      approval: false,
      cached: true,
    });
    // Same set of scopes in another order: the same key.
    expect(
      set.decide(request({ context: { scopes: ['billing:read', 'billing:read'] } })).cached,
    ).toBe(true);
    // A field the policies read: decided again, and the answer follows it.
    expect(
      set.decide(request({ context: { scopes: ['billing:read', 'billing:export'] } })),
    ).toMatchObject({ allow: false, cached: false });
    expect(
      set.decide(
        request({
          context: { user: { sub: 'bob', iss: 'https://idp.example.com', tenant: 'globex' } },
        }),
      ),
    ).toMatchObject({ allow: false, cached: false });
    // Another agent, another tool: decided again.
    expect(set.decide(request({ principal: { id: 'support-agent' } })).cached).toBe(false);
    expect(set.decide(request({ principal: { tenant: 'globex' } }))).toMatchObject({
      allow: false,
      cached: false,
    });
    // Fields no policy reads (purpose, act, depth) do not split the cache, nor do claims it does
    // not read: another user of the same tenant gets the same answer from the cache.
    expect(
      set.decide(
        request({ context: { purpose: 'something else', act: ['billing-agent'], depth: 1 } }),
      ).cached,
    ).toBe(true);
    expect(
      set.decide(
        request({
          context: {
            user: { sub: 'dave', iss: 'https://idp.example.com', tenant: 'acme', groups: ['ops'] },
          },
        }),
      ),
    ).toMatchObject({ allow: true, cached: true });
    expect(set.cacheStats()).toMatchObject({ enabled: true, hits: 4, misses: 5, size: 5 });
  });

  test('a field the policies read splits the cache: purpose', () => {
    const set = load(
      `@id("p") permit (principal, action, resource) when { context has purpose && context.purpose like "*ticket*" };`,
    );
    expect(set.decide(request()).cached).toBe(false);
    expect(set.decide(request()).cached).toBe(true);
    expect(set.decide(request({ context: { purpose: 'billing export' } }))).toMatchObject({
      allow: false,
      cached: false,
    });
  });

  test("a new version never answers from the old version's cache", () => {
    const v1 = load(
      `@id("v1-permit") permit (principal, action == Baton::Action::"exchange", resource);`,
    );
    expect(v1.decide(request())).toMatchObject({ allow: true, rule: 'v1-permit', cached: false });
    expect(v1.decide(request())).toMatchObject({ allow: true, cached: true });
    const v2 = load(
      `@id("v1-permit") permit (principal, action == Baton::Action::"exchange", resource);\n@id("v2-forbid") forbid (principal, action, resource == Baton::Tool::"${BILLING}");`,
    );
    expect(v2.version).not.toBe(v1.version);
    expect(v2.decide(request())).toEqual({
      allow: false,
      rule: 'v2-forbid',
      approval: false,
      cached: false,
    });
    expect(v2.decide(request())).toEqual({
      allow: false,
      rule: 'v2-forbid',
      approval: false,
      cached: true,
    });
  });

  test('a policy that reads context.time is never cached', () => {
    const set = load(
      `@id("office-hours") permit (principal, action, resource) when { context.time.hour >= 8 && context.time.hour < 18 };`,
    );
    expect(set.readsTime).toBe(true);
    expect(set.readsDetails).toBe(false);
    expect(set.decide(request()).cached).toBe(false);
    expect(set.decide(request()).cached).toBe(false);
    expect(
      set.decide(request({ context: { time: { epoch: 1, hour: 23, weekday: 3 } } })),
    ).toMatchObject({ allow: false, cached: false });
    expect(set.cacheStats()).toMatchObject({ enabled: false, size: 0 });
  });

  test('a policy that reads context.authorization_details, or the whole context, is never cached', () => {
    const details = load(
      `@id("no-refunds") forbid (principal, action, resource) when { context has authorization_details && context.authorization_details.contains({type: "tool_call", action: "refund", target: ""}) };\n@id("all") permit (principal, action, resource);`,
    );
    expect(details.readsDetails).toBe(true);
    details.decide(request());
    expect(details.decide(request()).cached).toBe(false);
    const whole = load(
      `@id("whole") permit (principal, action, resource) when { context == context };`,
    );
    expect(whole.reads).toEqual(['*']);
    expect(whole.readsTime && whole.readsDetails).toBe(true);
    whole.decide(request());
    expect(whole.decide(request()).cached).toBe(false);
  });

  test('a time missing from the request is the current time when a policy reads it', () => {
    const set = load(
      `@id("after-2020") permit (principal, action, resource) when { context.time.epoch > 1577836800 };`,
    );
    expect(set.decide(request({ context: { time: undefined } })).allow).toBe(true);
  });

  test('tasks: the txn enters the key only when a policy names a Task', () => {
    const any = load(EXAMPLE);
    const start = (txn: string) =>
      request({
        action: 'start_task',
        resource: { type: 'Task', id: txn },
        context: { tool: undefined },
      });
    expect(any.decide(start('txn-1')).cached).toBe(false);
    expect(any.decide(start('txn-2')).cached).toBe(true);
    const named = load(
      `@id("start") permit (principal, action, resource);\n@id("frozen-task") forbid (principal, action, resource == Baton::Task::"txn-2");`,
    );
    expect(named.decide(start('txn-1'))).toMatchObject({ allow: true, cached: false });
    expect(named.decide(start('txn-2'))).toMatchObject({
      allow: false,
      rule: 'frozen-task',
      cached: false,
    });
  });

  test('the cache is bounded: the oldest entry is dropped first', () => {
    const set = CedarPolicySet.load(
      `@id("p") permit (principal, action, resource) when { context.depth < 10 };`,
      'bounded.cedar',
      { cacheSize: 2 },
    );
    const at = (depth: number) => request({ context: { depth } });
    set.decide(at(1));
    set.decide(at(2));
    set.decide(at(3));
    expect(set.cacheStats().size).toBe(2);
    expect(set.decide(at(3)).cached).toBe(true);
    expect(set.decide(at(1)).cached).toBe(false);
  });
});

describe('PolicyHolder: reload and watch', () => {
  const V1 = `@id("v1") permit (principal, action, resource);`;
  const V2 = `@id("v2") forbid (principal, action, resource);\n@id("v1") permit (principal, action, resource);`;
  const BROKEN = `@id("v3") permit (principal, action, resource) when { context.nope == 1 };`;

  function logger() {
    const lines: { level: string; obj: object; msg: string }[] = [];
    const log: PolicyLogger = {
      warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
      info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    };
    return { log, lines };
  }
  const tempFile = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'baton-cedar-')), 'policy.cedar');
    writeFileSync(path, text);
    return path;
  };
  const holders: PolicyHolder[] = [];
  afterEach(() => holders.splice(0).forEach((h) => h.close()));
  const open = (path: string, log: PolicyLogger) => {
    const h = PolicyHolder.fromFile(path, log);
    holders.push(h);
    return h;
  };

  async function until(cond: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  test('a broken file is refused: the old version stays in force, one warn line names the error', () => {
    const path = tempFile(V1);
    const { log, lines } = logger();
    const h = open(path, log);
    const v1 = h.version;
    writeFileSync(path, BROKEN);
    const r = h.reload();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.join()).toMatch(/policy "v3": attribute `nope`/);
    expect(h.version).toBe(v1);
    expect(h.current()!.decide(request())).toMatchObject({ allow: true, rule: 'v1' });
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toMatch(
      new RegExp(`reload refused, version ${v1} stays in force: .*nope`),
    );
  });

  test('a valid file replaces the policy in force; the same text keeps it (and its cache)', () => {
    const path = tempFile(V1);
    const { log, lines } = logger();
    const h = open(path, log);
    const before = h.current()!;
    expect(h.reload()).toEqual({ ok: true, version: before.version, changed: false });
    expect(h.current()).toBe(before);
    writeFileSync(path, V2);
    const r = h.reload();
    expect(r).toEqual({ ok: true, version: CedarPolicySet.versionOf(V2), changed: true });
    expect(h.current()!.decide(request())).toMatchObject({ allow: false, rule: 'v2' });
    expect(lines.at(-1)).toMatchObject({
      level: 'info',
      obj: { previousVersion: before.version, policyVersion: CedarPolicySet.versionOf(V2) },
    });
  });

  test('a missing file is refused like a broken one', () => {
    const path = tempFile(V1);
    const { log } = logger();
    const h = open(path, log);
    const h2 = new PolicyHolder(`${path}.gone`, log, h.current());
    expect(h2.reload()).toMatchObject({ ok: false, problems: [expect.stringMatching(/ENOENT/)] });
    expect(h2.version).toBe(h.version);
  });

  test('fromFile refuses an invalid policy at start', () => {
    expect(() => PolicyHolder.fromFile(tempFile(BROKEN), logger().log)).toThrow(PolicyLoadError);
  });

  test('watch picks up a change to the file', async () => {
    const path = tempFile(V1);
    const h = open(path, logger().log);
    h.watch();
    writeFileSync(path, V2);
    await until(() => h.version === CedarPolicySet.versionOf(V2));
    expect(h.current()!.decide(request()).rule).toBe('v2');
  });

  test('watch follows an editor that replaces the file (write a new file, rename it over)', async () => {
    const path = tempFile(V1);
    const h = open(path, logger().log);
    h.watch();
    writeFileSync(`${path}.tmp`, V2);
    renameSync(`${path}.tmp`, path);
    await until(() => h.version === CedarPolicySet.versionOf(V2));
    // Still watching the new file.
    writeFileSync(path, V1);
    await until(() => h.version === CedarPolicySet.versionOf(V1));
  });

  test('watch leaves a broken save out of force', async () => {
    const path = tempFile(V1);
    const { log, lines } = logger();
    const h = open(path, log);
    h.watch();
    writeFileSync(path, BROKEN);
    await until(() => lines.some((l) => l.level === 'warn'));
    expect(h.version).toBe(CedarPolicySet.versionOf(V1));
  });
});

describe('checkPolicy (baton policy check)', () => {
  test('answers a question with the deciding rule and whether approval is needed', () => {
    const billing = {
      agent: 'billing-agent',
      agentAttributes: { tenant: 'acme' },
      tool: BILLING,
      toolName: 'billing',
      userClaims: { tenant: 'acme' },
    };
    const allowed = checkPolicy(EXAMPLE, { ...billing, scope: 'billing:read' }, 'example.cedar');
    expect(allowed).toMatchObject({
      ok: true,
      cacheable: true,
      answer: { allow: true, rule: 'billing-own-tenant', approval: false },
    });
    const exported = checkPolicy(EXAMPLE, { ...billing, scope: 'billing:read billing:export' });
    expect(exported).toMatchObject({
      ok: true,
      answer: { allow: false, rule: 'billing-never-export' },
    });
    const deploy = checkPolicy(EXAMPLE, {
      agent: 'deploy-agent',
      tool: DEPLOY,
      toolName: 'deploy',
      scope: 'deploy:prod',
    });
    expect(deploy).toMatchObject({
      ok: true,
      answer: { allow: true, rule: 'deploy-prod-needs-approval', approval: true },
    });
    expect(formatCheck(deploy).text).toMatch(
      /ALLOW: deploy-agent exchange https:\/\/tools\.example\.com\/deploy \[deploy:prod\] — rule deploy-prod-needs-approval \(needs a person's approval\)/,
    );
    expect(formatCheck(exported)).toMatchObject({
      exitCode: 1,
      text: expect.stringMatching(/DENY: .* rule billing-never-export/),
    });
    const handOff = checkPolicy(EXAMPLE, {
      agent: 'billing-agent',
      action: 'hand_off',
      from: 'support-agent',
    });
    expect(handOff).toMatchObject({
      ok: true,
      answer: {
        allow: true,
        rule: 'hand-off',
        request: {
          context: {
            act: ['billing-agent', 'support-agent'],
            current_actor: 'support-agent',
            depth: 2,
          },
        },
      },
    });
  });

  test('validates without a question, and reports problems of an invalid file', () => {
    expect(checkPolicy(EXAMPLE)).toMatchObject({
      ok: true,
      policies: expect.arrayContaining(['billing-never-export']),
    });
    expect(checkPolicy(EXAMPLE)).not.toHaveProperty('answer');
    const bad = checkPolicy(`permit (principal, action, resource);`, undefined, 'bad.cedar');
    expect(bad).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^bad\.cedar:1:1: policy #1 has no @id/)],
    });
    expect(formatCheck(bad)).toMatchObject({ exitCode: 1, text: expect.stringMatching(/INVALID/) });
  });

  test('a question that cannot be asked is an error', () => {
    expect(() => checkPolicy(EXAMPLE, { agent: 'a', action: 'exchange' })).toThrow(
      PolicyQuestionError,
    );
    expect(() => checkPolicy(EXAMPLE, { agent: 'a', action: 'hand_off' })).toThrow(
      PolicyQuestionError,
    );
  });
});
