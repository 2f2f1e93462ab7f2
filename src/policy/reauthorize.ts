import type { AgentConfig, Config, ToolConfig } from '../config/schema.js';
import { BatonError } from '../errors.js';
import { splitScope, type BatonClaims, type UserClaims } from '../tokens/claims.js';
import { toolGrant } from './ceilings.js';
import { checkPolicy, type PolicySource } from './decide.js';

export interface ReauthorizeDeps {
  config: Config;
  policy?: PolicySource | undefined;
}

/**
 * Re-decides a live tool token against the policy in force: the config ceilings (the same
 * `toolGrant` rule as at issue, asked for exactly the token's scopes) and the Cedar policy with
 * the context recorded at issue time (the time is now). Approval is about issuing and is not
 * asked again. `agent` is the enabled agent the token's current actor names, if there still is
 * one. Returns true, or the rule that no longer allows it.
 */
export function reauthorize(
  deps: ReauthorizeDeps,
  agent: AgentConfig | undefined,
  tool: ToolConfig,
  claims: BatonClaims,
  act: string[],
  recorded: Record<string, unknown> | undefined,
): true | string {
  if (!agent) return `agents[${claims.act.sub}] (removed or disabled)`;
  const scopes = splitScope(claims.scope);
  try {
    toolGrant(deps.config, agent, tool, tool.resource, scopes, scopes);
    checkPolicy(deps.policy, {
      action: 'exchange',
      principal: agent,
      resource: { tool },
      scopes,
      sub: claims.sub,
      user: recorded?.u as UserClaims | undefined,
      act,
      currentActor: claims.act.sub,
      purpose: recorded?.p as string | undefined,
      details: claims.authorization_details as
        | { type: string; action: string; tool: string }[]
        | undefined,
    });
  } catch (e) {
    // Anything that cannot be decided is a refusal (fail closed).
    return (e instanceof BatonError && e.rule) || 'cedar';
  }
  return true;
}
