import { DEFAULTS } from '../config/defaults.js';
import { markRetentionSeconds } from '../config/task-lifetime.js';
import { readAllMarks } from '../store/mark-pages.js';
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { canonicalJson } from '../protocol/binding.js';
import type { FeedStore, MarkStore } from '../store/store.js';
import { revokeByMark, type RevocationDeps } from './revoke.js';

/**
 * What ends a token's standing besides a revocation, put on the feed so that a resource server
 * checking locally agrees with /introspect (docs/revocation.md, "policy"): the policy in force
 * (what `reauthorize` reads: agents, their tools and ceilings, tools' scopes, the Cedar version)
 * and disabled agents (a mark, as an admin's agent revocation).
 */

/** The version of what continuous authorization decides with: config ceilings + Cedar. */
export function policyVersion(config: Config, cedarVersion: string | undefined): string {
  const ceilings = {
    agents: config.agents.map((a) => ({
      id: a.id,
      disabled: a.disabled,
      tools: a.tools,
      taskScopes: a.taskScopes,
    })),
    tools: config.tools.map((t) => ({ resource: t.resource, scopes: t.scopes })),
    cedar: cedarVersion ?? null,
  };
  return createHash('sha256').update(canonicalJson(ceilings)).digest('base64url').slice(0, 22);
}

/**
 * Announces the policy in force. Published at every start and every Cedar reload that changes
 * the set: a follower ignores a version it already holds, so instances that share a config cost
 * nothing, and one that starts with other ceilings makes followers re-check what they hold.
 */
export async function announcePolicy(store: Pick<FeedStore, 'publish'>, version: string) {
  await store.publish({ type: 'policy', version, stamp: Date.now() * 1000 });
}

/**
 * A disabled agent's tokens die everywhere: /introspect refuses them by config, and a mark (the
 * same as `POST /admin/agents/{id}/revoke`) carries that to local checks. Written once: an agent
 * already marked is not marked again on every start (a disabled agent mints nothing new).
 */
export async function markDisabledAgents(
  ctx: RevocationDeps & { store: MarkStore },
  config: Config,
): Promise<void> {
  const disabled = config.agents.filter((a) => a.disabled).map((a) => a.id);
  if (disabled.length === 0) return;
  const marks = await readAllMarks(ctx.store, {
    limit: DEFAULTS.marksReadChunk,
    maxAgeSeconds: markRetentionSeconds(config),
  });
  for (const id of disabled)
    if (!marks.agents.has(id)) await revokeByMark(ctx, 'agent', 'config (disabled)', id);
}
