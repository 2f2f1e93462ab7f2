/**
 * The marks verdict: whether a cross-task mark (an agent, a user, or the kill switch) covers a
 * token, from the token's own claims. Shared by the server's mark cache and the SDK's local
 * check; no dependencies.
 */

/** What a marks check needs of a token: its chain and the stamps at which each actor joined. */
export interface MarkSubject {
  sub: string;
  client_id: string;
  /** Outermost (current actor) first (the `act` chain). */
  actors: readonly string[];
  /** Same order as `actors` (`lineage.st`); the last is the task's start stamp. */
  stamps: readonly number[];
}

/** The marks in force: "before stamp S" per agent and per user, and for everything. */
export interface MarkSet {
  agents: ReadonlyMap<string, number>;
  users: ReadonlyMap<string, number>;
  all: number;
}

/**
 * "Issued before" compares a mark with the stamp at which the agent (or, for users and the kill
 * switch, the task) entered the token's chain. Children inherit those stamps, so a token minted
 * from an already-revoked parent by an instance that had not yet heard of the mark dies too.
 */
export function markVerdict(marks: MarkSet, t: MarkSubject): 'ok' | 'revoked' {
  const root = t.stamps[t.stamps.length - 1] ?? 0;
  if (marks.all >= root) return 'revoked';
  const u = marks.users.get(t.sub);
  if (u !== undefined && u >= root) return 'revoked';
  if (marks.agents.size === 0) return 'ok';
  for (let i = 0; i < t.actors.length; i++) {
    const m = marks.agents.get(t.actors[i] ?? '');
    if (m !== undefined && m >= (t.stamps[i] ?? 0)) return 'revoked';
  }
  // The client that holds it (RFC 7009 sense); judged by the current actor's entry stamp.
  const c = marks.agents.get(t.client_id);
  if (c !== undefined && c >= (t.stamps[0] ?? 0)) return 'revoked';
  return 'ok';
}
