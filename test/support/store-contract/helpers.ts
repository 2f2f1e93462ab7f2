/**
 * What every part of the store contract shares: the getter of the store under test (a fresh one
 * per test, from the entry test/support/store-contract.ts) and the two task builders.
 */
import type { TokenRecord, TokenStore } from '../../../src/store/store.js';
import {
  childTokenFixture,
  type NewTask,
  rootTokenFixture,
  taskFixture,
} from '../store-fixtures.js';

/** The store of the running test; each contract part takes one. */
export type GetStore = () => TokenStore;

/** Starts a task with its root token; returns both and the start stamp. */
export async function openTask(
  store: TokenStore,
  overrides: Partial<NewTask> = {},
  rootOverrides: Partial<TokenRecord> = {},
) {
  const task = taskFixture(overrides);
  const root = rootTokenFixture(task, rootOverrides);
  const stamp = await store.startTask(task, root);
  return { task, root, stamp };
}

/** Records a chain root -> c1 -> ... -> c<n>; returns [c1..cn]. */
export async function recordChain(
  store: TokenStore,
  root: TokenRecord,
  n: number,
): Promise<TokenRecord[]> {
  const chain: TokenRecord[] = [];
  let parent = root;
  for (let i = 0; i < n; i++) {
    const child = childTokenFixture(parent);
    await store.recordToken(child);
    chain.push(child);
    parent = child;
  }
  return chain;
}
