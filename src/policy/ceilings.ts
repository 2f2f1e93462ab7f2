import { InvalidRequest, InvalidScope, InvalidTarget } from '../errors.js';
import type { AgentConfig, Config, ToolConfig } from '../config/schema.js';

/**
 * The first policy layer: the config's ceilings. Each check either returns what may be granted
 * or throws the RFC error for what it refused, naming the rule (a config path) that refused it.
 * Refusals never narrow silently: asking for more than allowed is an error (invariant 1).
 */

/** Requested scopes must lie within `allowed`; none requested means all of `allowed`. */
export function grantScopes(
  requested: string[] | undefined,
  allowed: ReadonlySet<string>,
  rule: string,
): string[] {
  if (requested === undefined) {
    if (allowed.size === 0)
      throw new InvalidScope(`no scope can be granted (rule ${rule})`, { rule });
    return [...allowed].sort();
  }
  const outside = requested.filter((s) => !allowed.has(s));
  if (outside.length)
    throw new InvalidScope(`scope ${echo(outside)} is not allowed (rule ${rule})`, { rule });
  return [...new Set(requested)].sort();
}

/** Names what was refused without ever echoing a long value (a token pasted into `scope`). */
function echo(scopes: string[]): string {
  const shown = scopes.slice(0, 5).map((s) => (s.length > 40 ? `${s.slice(0, 12)}…` : s));
  return shown.join(' ') + (scopes.length > 5 ? ` (+${scopes.length - 5} more)` : '');
}

export const intersect = (a: Iterable<string>, b: Iterable<string>): Set<string> => {
  const bs = new Set(b);
  return new Set([...a].filter((x) => bs.has(x)));
};

/** Task start: the user's scopes cut with the agent's task scopes. */
export function taskStartScopes(
  agent: AgentConfig,
  subjectScopes: string[],
  requested: string[] | undefined,
): string[] {
  return grantScopes(
    requested,
    intersect(subjectScopes, agent.taskScopes),
    `agents[${agent.id}].taskScopes ∩ subject scope`,
  );
}

export interface ToolGrant {
  tool: ToolConfig;
  scopes: string[];
  maxTtlSeconds: number;
  requireApproval: boolean;
}

/** Tool token: the tool must be one this agent may use; scopes within task ∩ agent rule ∩ tool. */
export function toolGrant(
  config: Config,
  agent: AgentConfig,
  tool: ToolConfig | undefined,
  target: string,
  taskScopes: string[],
  requested: string[] | undefined,
): ToolGrant {
  if (!tool) throw new InvalidTarget(`${target} is not a tool Baton knows`, { rule: 'tools' });
  const rule = agent.tools[tool.resource];
  if (!rule)
    throw new InvalidTarget(
      `agent ${agent.id} may not use ${tool.resource} (rule agents[${agent.id}].tools)`,
      { rule: `agents[${agent.id}].tools` },
    );
  const allowed = intersect(intersect(taskScopes, rule.scopes), tool.scopes);
  const scopes = grantScopes(
    requested,
    allowed,
    `task scope ∩ agents[${agent.id}].tools[${tool.resource}].scopes`,
  );
  return {
    tool,
    scopes,
    maxTtlSeconds: rule.maxTtlSeconds ?? config.defaults.toolTokenTtlSeconds,
    requireApproval: rule.requireApproval,
  };
}

/** Hand-off: the current actor must name the new agent, and depth stays within the limit. */
export function checkHandOff(
  config: Config,
  from: AgentConfig | undefined,
  to: AgentConfig,
  newDepth: number,
): void {
  if (!from)
    throw new InvalidRequest(
      `the current actor is not a configured agent; the task cannot be handed on`,
      { rule: 'agents' },
    );
  if (!from.handOffTo.includes(to.id))
    throw new InvalidRequest(
      `agent ${from.id} may not hand a task to ${to.id} (rule agents[${from.id}].handOffTo)`,
      { rule: `agents[${from.id}].handOffTo` },
    );
  if (newDepth > config.defaults.maxDepth)
    throw new InvalidRequest(
      `delegation depth ${newDepth} exceeds the limit ${config.defaults.maxDepth} (rule defaults.maxDepth)`,
      { rule: 'defaults.maxDepth' },
    );
}
