/**
 * AuditStore: each task's event stream and the global stream (docs/audit.md). Events come back
 * oldest first, as filed; reads are capped by `limit`; streams are trimmed to their caps.
 */
import type { AuditRetention, TokenStore } from '../../../src/store/store.js';
import { childTokenFixture, newTxn, rootTokenFixture, taskFixture } from '../store-fixtures.js';
import type { GetStore } from './helpers.js';

const event = (txn: string | undefined, n: number) => JSON.stringify({ type: 'test', txn, n });
const jsons = (rows: { json: string }[]) => rows.map((r) => r.json);

export function describeAuditContract(getStore: GetStore): void {
  describe('audit', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

    it('files each event in its task stream and in the global stream, oldest first', async () => {
      const a = newTxn();
      const b = newTxn();
      const batch = [
        { txn: a, json: event(a, 1) },
        { txn: b, json: event(b, 2) },
        { json: event(undefined, 3) },
        { txn: a, json: event(a, 4) },
      ];
      await store.appendAudit(batch.slice(0, 2));
      await store.appendAudit(batch.slice(2));
      expect(jsons(await store.readTaskAudit(a, 100, 'decisions'))).toEqual([
        event(a, 1),
        event(a, 4),
      ]);
      expect(jsons(await store.readTaskAudit(b, 100, 'decisions'))).toEqual([event(b, 2)]);
      expect(jsons(await store.readAudit(undefined, 100, 'decisions'))).toEqual(
        batch.map((e) => e.json),
      );
      await expect(store.readTaskAudit(newTxn(), 100, 'decisions')).resolves.toEqual([]);
    });

    it('startTask and recordToken file their event in the task stream; inTaskStream is not filed twice', async () => {
      const txn = newTxn();
      const { task, root } = await openTaskWithEvent(store, txn);
      await store.recordToken(childTokenFixture(root), event(txn, 2));
      await store.appendAudit([
        { txn, json: event(txn, 1), inTaskStream: true },
        { txn, json: event(txn, 2), inTaskStream: true },
      ]);
      expect(jsons(await store.readTaskAudit(task.txn, 100, 'decisions'))).toEqual([
        event(txn, 1),
        event(txn, 2),
      ]);
      expect(jsons(await store.readAudit(undefined, 100, 'decisions'))).toEqual([
        event(txn, 1),
        event(txn, 2),
      ]);
    });

    it('readAudit(afterId, limit) returns the entries after afterId, at most limit, ids increasing', async () => {
      await store.appendAudit(Array.from({ length: 6 }, (_, i) => ({ json: event(undefined, i) })));
      const all = await store.readAudit(undefined, 100, 'decisions');
      expect(jsons(all)).toEqual(Array.from({ length: 6 }, (_, i) => event(undefined, i)));
      expect(new Set(all.map((e) => e.id)).size).toBe(6);
      await expect(store.readAudit(undefined, 2, 'decisions')).resolves.toEqual(all.slice(0, 2));
      await expect(store.readAudit(all[1]!.id, 3, 'decisions')).resolves.toEqual(all.slice(2, 5));
      await expect(store.readAudit(all[5]!.id, 100, 'decisions')).resolves.toEqual([]);
    });

    it('readTaskAudit returns at most limit events, the oldest', async () => {
      const txn = newTxn();
      await store.appendAudit(Array.from({ length: 5 }, (_, i) => ({ txn, json: event(txn, i) })));
      expect(jsons(await store.readTaskAudit(txn, 3, 'decisions'))).toEqual(
        [0, 1, 2].map((i) => event(txn, i)),
      );
    });
  });
}

/** Starts a task whose start event is `{n: 1}`. */
async function openTaskWithEvent(store: TokenStore, txn: string) {
  const task = taskFixture({ txn });
  const root = rootTokenFixture(task);
  await store.startTask(task, root, event(txn, 1));
  return { task, root };
}

/**
 * Redis trims with `MAXLEN ~` (whole stream nodes, up to 100 entries each, for speed), so a
 * stream may hold up to that many more than its cap; the memory store keeps exactly the cap.
 */
const TRIM_SLACK = 100;

/** The caps, on a store made with small ones (`retention`). */
export function describeAuditCapsContract(getStore: GetStore, retention: AuditRetention): void {
  describe('audit caps', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

    it('a task stream keeps its newest events, in order, and drops the oldest past its cap', async () => {
      const txn = newTxn();
      const n = retention.taskMaxEvents + TRIM_SLACK * 2;
      for (let i = 0; i < n; i += 50)
        await store.appendAudit(
          Array.from({ length: Math.min(50, n - i) }, (_, j) => ({ txn, json: event(txn, i + j) })),
        );
      const kept = jsons(await store.readTaskAudit(txn, n, 'decisions'));
      expect(kept.length).toBeGreaterThanOrEqual(retention.taskMaxEvents);
      expect(kept.length).toBeLessThanOrEqual(retention.taskMaxEvents + TRIM_SLACK);
      const first = n - kept.length;
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => event(txn, first + i)));
    });

    it('the global stream keeps its newest events, in order, and drops the oldest past its cap', async () => {
      const n = retention.globalMaxEvents + TRIM_SLACK * 2;
      for (let i = 0; i < n; i += 50)
        await store.appendAudit(
          Array.from({ length: Math.min(50, n - i) }, (_, j) => ({
            json: event(undefined, i + j),
          })),
        );
      const kept = jsons(await store.readAudit(undefined, n, 'decisions'));
      expect(kept.length).toBeGreaterThanOrEqual(retention.globalMaxEvents);
      expect(kept.length).toBeLessThanOrEqual(retention.globalMaxEvents + TRIM_SLACK);
      const first = n - kept.length;
      expect(kept).toEqual(
        Array.from({ length: kept.length }, (_, i) => event(undefined, first + i)),
      );
    });
  });
}
