import type { NodeState, TreeNode } from '../protocol/admin-api.js';
import type { MarkCache } from './marks.js';
import type { TaskRecord, TaskStore, TaskTree, TokenRecord } from '../store/store.js';
import { epochSeconds } from '../clock.js';

export type { NodeState, TreeNode };

/**
 * A task's tokens as a delegation tree with each token's state. Per-level stamps are derived
 * the way the tokens carry them: a hand-off adds its own stamp in front, a tool token copies.
 */
export function buildTree(tree: TaskTree, marks: MarkCache, nowSec = epochSeconds()): TreeNode[] {
  const byJti = new Map(tree.tokens.map((t) => [t.jti, t]));
  const revoked = new Set(tree.revoked);
  const stampsOf = new Map<string, number[]>();
  const stamps = (t: TokenRecord): number[] => {
    const known = stampsOf.get(t.jti);
    if (known) return known;
    const parent = t.anc[0] ? byJti.get(t.anc[0]) : undefined;
    const ps = parent ? stamps(parent) : [];
    // A task's first token: every actor entered at its stamp (two with an actor_token start).
    const s = !parent
      ? t.actors.map(() => t.stamp ?? 0)
      : t.actors.length > parent.actors.length
        ? [t.stamp ?? 0, ...ps]
        : ps;
    stampsOf.set(t.jti, s);
    return s;
  };
  const nodes = new Map<string, TreeNode>();
  for (const t of [...tree.tokens].sort((a, b) => (a.stamp ?? 0) - (b.stamp ?? 0))) {
    let state: NodeState = 'active';
    if (tree.task.status !== 'open') state = 'task_ended';
    else if (revoked.has(t.jti) || t.anc.some((a) => revoked.has(a))) state = 'revoked';
    else if (
      marks.verdict({
        sub: tree.task.sub,
        client_id: t.client,
        actors: t.actors,
        stamps: stamps(t),
      }) === 'revoked'
    )
      state = 'revoked';
    else if (t.exp <= nowSec) state = 'expired';
    nodes.set(t.jti, {
      jti: t.jti,
      parent: t.anc[0] ?? null,
      client_id: t.client,
      act: t.actors,
      aud: t.aud,
      scope: t.scope,
      iat: t.iat,
      exp: t.exp,
      stamp: t.stamp ?? 0,
      state,
      children: [],
    });
  }
  const roots: TreeNode[] = [];
  for (const n of nodes.values()) {
    const p = n.parent ? nodes.get(n.parent) : undefined;
    if (p) p.children.push(n);
    else roots.push(n);
  }
  return roots;
}

/** A task's record, its tokens as a tree with their states, and the revoked jtis. */
export async function readTaskTree(
  deps: { store: Pick<TaskStore, 'getTaskTree'>; marks: MarkCache },
  txn: string,
): Promise<{ task: TaskRecord; tokens: TreeNode[]; revoked: string[] } | undefined> {
  const tree = await deps.store.getTaskTree(txn);
  return tree && { task: tree.task, tokens: buildTree(tree, deps.marks), revoked: tree.revoked };
}
