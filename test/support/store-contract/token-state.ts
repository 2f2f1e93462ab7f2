/** TokenStateStore: a recorded token's state, revocation by lineage (with a property test). */
import fc from 'fast-check';
import type { TokenRecord, TokenStore } from '../../../src/store/store.js';
import { childTokenFixture, lineage, newJti, newTxn, shapeTree } from '../store-fixtures.js';
import { type GetStore, openTask, recordChain } from './helpers.js';

export function describeTokenStateContract(getStore: GetStore): void {
  describe('token state', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

    describe('checkToken', () => {
      it('is unknown for a jti never recorded (open task or unknown task)', async () => {
        const { task, root } = await openTask(store);
        await expect(store.checkToken(task.txn, newJti(), [root.jti])).resolves.toBe('unknown');
        await expect(store.checkToken(newTxn(), newJti(), [])).resolves.toBe('unknown');
      });

      it('is revoked after revokeToken on the token itself; its parent and siblings stay active', async () => {
        const { task, root } = await openTask(store);
        const a = childTokenFixture(root);
        const b = childTokenFixture(root);
        await store.recordToken(a);
        await store.recordToken(b);
        await store.revokeToken(task.txn, a.jti);
        await expect(store.checkToken(task.txn, a.jti, a.anc)).resolves.toBe('revoked');
        await expect(store.checkToken(task.txn, b.jti, b.anc)).resolves.toBe('active');
        await expect(store.checkToken(task.txn, root.jti, root.anc)).resolves.toBe('active');
      });

      it('is revoked for every descendant of a revoked token, at depth 1..4', async () => {
        const { task, root } = await openTask(store);
        const chain = await recordChain(store, root, 4);
        for (const t of chain)
          await expect(store.checkToken(task.txn, t.jti, t.anc)).resolves.toBe('active');
        await store.revokeToken(task.txn, root.jti);
        for (const [i, t] of chain.entries()) {
          expect(t.anc[i]).toBe(root.jti); // root sits at depth i+1 above t
          await expect(store.checkToken(task.txn, t.jti, t.anc)).resolves.toBe('revoked');
        }
      });

      it.each(['completed', 'revoked'] as const)(
        'is task_ended for every token after endTask(%s)',
        async (status) => {
          const { task, root } = await openTask(store);
          const [c1] = await recordChain(store, root, 1);
          await store.endTask(task.txn, status, status === 'revoked' ? 'admin' : task.owner);
          await expect(store.checkToken(task.txn, root.jti, root.anc)).resolves.toBe('task_ended');
          await expect(store.checkToken(task.txn, c1!.jti, c1!.anc)).resolves.toBe('task_ended');
        },
      );
    });
    describe('cascade (property)', () => {
      it('a token is revoked iff it or one of its ancestors was revoked', async () => {
        const tree = fc
          .integer({ min: 1, max: 30 })
          .chain((n) =>
            fc.tuple(
              fc.array(fc.nat(), { minLength: n - 1, maxLength: n - 1 }),
              fc.array(fc.boolean(), { minLength: n, maxLength: n }),
            ),
          );
        await fc.assert(
          fc.asyncProperty(tree, async ([picks, revokes]) => {
            const nodes = shapeTree(picks, revokes);
            const { task, root } = await openTask(store);
            const tokens: TokenRecord[] = [root];
            for (const node of nodes.slice(1)) {
              const t = childTokenFixture(tokens[node.parent]!);
              await store.recordToken(t);
              tokens.push(t);
            }
            for (const [i, node] of nodes.entries())
              if (node.revoke) await store.revokeToken(task.txn, tokens[i]!.jti);
            for (const [i, t] of tokens.entries()) {
              const expected = lineage(nodes, i).some((j) => nodes[j]!.revoke)
                ? 'revoked'
                : 'active';
              const got = await store.checkToken(task.txn, t.jti, t.anc);
              if (got !== expected)
                throw new Error(
                  `token #${i} (anc depth ${t.anc.length}): expected ${expected}, got ${got}`,
                );
            }
          }),
          { numRuns: 15 },
        );
      });
    });
  });
}
