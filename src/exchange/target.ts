import { InvalidTarget } from '../errors.js';
import type { ToolConfig } from '../config/schema.js';
import type { ExchangeDeps } from './deps.js';
import { excerpt, type ExchangeRequest } from './request.js';

export type Target = { kind: 'baton' } | { kind: 'tool'; tool: ToolConfig } | { kind: 'none' };

/**
 * `resource` and `audience` together name at most one target (one token, one tool): Baton itself
 * (its issuer) or a configured tool (by resource URI, or by name as an audience).
 */
export function resolveTarget(ctx: ExchangeDeps, req: ExchangeRequest): Target {
  const named = [...new Set([...req.resources, ...req.audiences])];
  const targets = new Map<string, Target>();
  for (const n of named) {
    if (n === ctx.config.issuer) targets.set('baton', { kind: 'baton' });
    else {
      const tool = ctx.tools.find(n);
      if (!tool) {
        // RFC 3986 §6.2.3: a trailing slash makes another URI; say which one was meant.
        const near = ctx.tools.nearMiss(n);
        throw new InvalidTarget(
          near
            ? `${excerpt(n)} is not a tool Baton knows; the configured resource is ${near.resource} (a trailing slash makes another URI)`
            : `${excerpt(n)} is not a tool Baton knows`,
        );
      }
      targets.set(tool.resource, { kind: 'tool', tool });
    }
  }
  if (targets.size > 1)
    throw new InvalidTarget('name exactly one target: a token is for one tool (or for Baton)');
  return targets.values().next().value ?? { kind: 'none' };
}
