/**
 * Fixture builders and small assertion helpers for the TokenStore contract suite
 * (test/support/store-contract.ts). Times are epoch SECONDS; store stamps are microseconds.
 */
import { randomUUID } from 'node:crypto';
import { epochSeconds } from '../../src/clock.js';
import { StoreRejection, type TaskRecord, type TokenRecord } from '../../src/store/store.js';

/** Max ancestors carried by a token (docs/tokens.md, "Depth": max depth 4). */
export const MAX_ANC = 4;

export type NewTask = Omit<TaskRecord, 'stamp' | 'status'>;

export function newTxn(): string {
  return `txn-${randomUUID()}`;
}

export function newJti(): string {
  return `jti-${randomUUID()}`;
}

/** A task as the domain hands it to `startTask`: ten minutes to live unless overridden. */
export function taskFixture(overrides: Partial<NewTask> = {}): NewTask {
  const now = epochSeconds();
  return {
    txn: newTxn(),
    owner: 'agent-a',
    sub: 'alice@example.com',
    purpose: 'triage ticket 42',
    createdAt: now,
    deadline: now + 600,
    ...overrides,
  };
}

/** The first token of a task (no ancestors), as recorded by `startTask`. */
export function rootTokenFixture(
  task: Pick<NewTask, 'txn' | 'owner'>,
  overrides: Partial<TokenRecord> = {},
): TokenRecord {
  const now = epochSeconds();
  return {
    jti: newJti(),
    txn: task.txn,
    anc: [],
    client: task.owner,
    actors: [task.owner],
    aud: 'https://baton.example',
    scope: 'tickets:read billing:read',
    exp: now + 300,
    iat: now,
    ...overrides,
  };
}

/** A token derived from `parent` in the same task: anc = [parent, ...parent.anc] truncated to MAX_ANC. */
export function childTokenFixture(
  parent: TokenRecord,
  overrides: Partial<TokenRecord> = {},
): TokenRecord {
  const now = epochSeconds();
  return {
    jti: newJti(),
    txn: parent.txn,
    anc: [parent.jti, ...parent.anc].slice(0, MAX_ANC),
    client: parent.client,
    actors: [...parent.actors],
    aud: 'https://tools.example/tickets',
    scope: 'tickets:read',
    exp: now + 120,
    iat: now,
    ...overrides,
  };
}

/** Awaits `p` and asserts it was refused with StoreRejection(reason). */
export async function expectRejection(
  p: Promise<unknown>,
  reason: StoreRejection['reason'],
): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  if (caught === undefined)
    throw new Error(`expected StoreRejection('${reason}'), but the call succeeded`);
  expect(caught).toBeInstanceOf(StoreRejection);
  expect((caught as StoreRejection).reason).toBe(reason);
}

/** Polls `probe` until it returns true or `timeoutMs` passes (then fails with `what`). */
export async function waitFor(
  probe: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 2000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Feed ids are opaque cursors; both a Redis stream id (`ms-seq`) and a plain counter are
 * dot/dash-separated integers, so compare them part by part. Undefined for any other shape.
 */
export function compareFeedIds(a: string, b: string): number | undefined {
  const shape = /^\d+(-\d+)*$/;
  if (!shape.test(a) || !shape.test(b)) return undefined;
  const pa = a.split('-').map(BigInt);
  const pb = b.split('-').map(BigInt);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0n;
    const y = pb[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** One node of a random delegation tree: `parent` is an index into the tree, -1 for the root. */
export interface TreeNode {
  parent: number;
  revoke: boolean;
}

/**
 * Turns random picks into a tree whose every chain fits in MAX_ANC ancestors, so a token's
 * `anc` names all of its ancestors: node i (i ≥ 1) hangs under an earlier node of depth < MAX_ANC.
 */
export function shapeTree(picks: readonly number[], revokes: readonly boolean[]): TreeNode[] {
  const depth: number[] = [0];
  const nodes: TreeNode[] = [{ parent: -1, revoke: revokes[0] ?? false }];
  for (let i = 1; i < revokes.length; i++) {
    const eligible = depth.flatMap((d, idx) => (d < MAX_ANC ? [idx] : []));
    const parent = eligible[(picks[i - 1] ?? 0) % eligible.length]!;
    depth.push(depth[parent]! + 1);
    nodes.push({ parent, revoke: revokes[i] ?? false });
  }
  return nodes;
}

/** Indexes of `i` and all its ancestors. */
export function lineage(nodes: readonly TreeNode[], i: number): number[] {
  const out: number[] = [];
  for (let at = i; at >= 0; at = nodes[at]!.parent) out.push(at);
  return out;
}
