import type { AgentConfig, ToolConfig } from '../config/schema.js';
import { type BatonError, InvalidRequest, InvalidScope, InvalidTarget } from '../errors.js';
import type {
  CedarPolicySet,
  PolicyAction,
  PolicyContext,
  PolicyResource,
} from './cedar/engine.js';
import type { UserClaims } from '../tokens/claims.js';

/** What the domain needs of the policy in force (a PolicyHolder, swapped atomically on reload). */
export interface PolicySource {
  current(): CedarPolicySet | undefined;
}

export interface PolicyAsk {
  action: PolicyAction;
  principal: AgentConfig;
  resource: { tool: ToolConfig } | { txn: string };
  scopes: string[];
  sub: string;
  user: UserClaims | undefined;
  act: string[];
  currentActor: string;
  purpose: string | undefined;
  details?: { type: string; action: string; tool: string }[] | undefined;
}

export function policyContext(a: PolicyAsk): PolicyContext {
  return {
    scopes: a.scopes,
    user: { sub: a.sub, iss: a.user?.iss ?? '', ...(a.user ? withoutIss(a.user) : {}) },
    act: a.act,
    current_actor: a.currentActor,
    depth: a.act.length,
    ...(a.purpose !== undefined ? { purpose: a.purpose } : {}),
    ...('tool' in a.resource ? { tool: a.resource.tool.resource } : {}),
    ...(a.details
      ? {
          authorization_details: a.details.map((d) => ({
            type: d.type,
            action: d.action,
            target: d.tool,
          })),
        }
      : {}),
  };
}

function withoutIss(u: UserClaims): Omit<UserClaims, 'iss'> {
  const { iss: _iss, ...rest } = u;
  return rest;
}

function resourceOf(a: PolicyAsk): PolicyResource {
  if ('txn' in a.resource) return { type: 'Task', id: a.resource.txn };
  const t = a.resource.tool;
  return { type: 'Tool', id: t.resource, name: t.name ?? t.resource, ...t.attributes };
}

/**
 * The second policy layer: Cedar conditions over agent x action x tool, after the config
 * ceilings passed. No policy set configured = nothing more to check. A refusal names the
 * deciding policy and carries the code of what it refused: the tool -> invalid_target, a
 * scope -> invalid_scope, a subject or hand-off -> invalid_request (RFC 8693 §2.2.2).
 */
export function checkPolicy(
  source: PolicySource | undefined,
  ask: PolicyAsk,
): { approval: boolean; rule?: string } {
  const policy = source?.current();
  if (!policy) return { approval: false };
  const principal = { id: ask.principal.id, ...ask.principal.attributes };
  const request = {
    principal,
    action: ask.action,
    resource: resourceOf(ask),
    context: policyContext(ask),
  };
  const d = policy.decide(request);
  if (d.allow) return { approval: d.approval, rule: d.rule };
  throw refusal(
    ask,
    d.rule,
    () => policy.decide({ ...request, context: { ...request.context, scopes: [] } }).allow,
  );
}

/** The rule text of an allowed decision: the config ceiling, and the Cedar permits when any. */
export const withCedar = (ceiling: string, cedarRule: string | undefined): string =>
  cedarRule ? `${ceiling}; cedar:${cedarRule}` : ceiling;

function refusal(ask: PolicyAsk, rule: string, allowedWithoutScopes: () => boolean): BatonError {
  const what = `refused by policy ${rule} (cedar${ask.action === 'exchange' ? `, agent ${ask.principal.id}` : ''})`;
  if (ask.action !== 'exchange')
    return new InvalidRequest(`${ask.action === 'hand_off' ? 'hand-off' : 'task start'} ${what}`, {
      rule,
    });
  // Was it the scopes or the tool itself? Ask again without scopes: allowed then means the scopes.
  return allowedWithoutScopes()
    ? new InvalidScope(`scope ${ask.scopes.join(' ')} ${what}`, { rule })
    : new InvalidTarget(`${'tool' in ask.resource ? ask.resource.tool.resource : ''} ${what}`, {
        rule,
      });
}
