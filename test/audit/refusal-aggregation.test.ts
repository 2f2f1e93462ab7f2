import { AuditLog } from '../../src/audit/log.js';
import { setClock } from '../../src/clock.js';
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { createLogger } from '../../src/log.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';

/**
 * Repeated refusals from one client are aggregated per window, never silently dropped: every
 * refusal is either filed or counted in exactly one `refusals_suppressed` event, across window
 * boundaries and at shutdown, and clients and tasks are counted apart.
 */
describe('refusal aggregation', () => {
  let now = 1_800_000_000_000;
  beforeEach(() => setClock(() => now));
  afterEach(() => setClock());

  test('every refusal is filed or counted once, window by window, per task and client', async () => {
    const store = new MemoryStore(STORE_LIMITS);
    const audit = new AuditLog(store, createLogger('silent'), {
      flushMs: 1_000_000,
      maxBuffered: 1_000,
      refusalBurst: 2,
      refusalWindowMs: 1_000,
    });
    const refuse = (client: string, txn?: string) =>
      audit.emit({
        type: 'introspection_refused',
        client,
        decision: 'deny',
        ...(txn ? { txn } : {}),
      });
    for (let i = 0; i < 5; i++) refuse('rs-a', 'txn-1');
    for (let i = 0; i < 3; i++) refuse('rs-b', 'txn-1');
    for (let i = 0; i < 4; i++) refuse('rs-a');
    now += 1_500;
    for (let i = 0; i < 3; i++) refuse('rs-a', 'txn-1');
    await audit.stop();
    await store.close();

    const rows = (await store.readAudit(undefined, 1_000, 'refusals')).map(
      (r) =>
        JSON.parse(r.json) as {
          type: string;
          client: string;
          txn?: string;
          detail?: { count: number };
        },
    );
    const tally = new Map<string, number>();
    for (const e of rows) {
      const key = `${e.txn ?? '-'} ${e.client}`;
      const n = e.type === 'refusals_suppressed' ? e.detail!.count : 1;
      tally.set(key, (tally.get(key) ?? 0) + n);
    }
    expect(Object.fromEntries(tally)).toEqual({ 'txn-1 rs-a': 8, 'txn-1 rs-b': 3, '- rs-a': 4 });
    const suppressed = rows.filter((e) => e.type === 'refusals_suppressed');
    expect(suppressed.map((e) => [e.txn ?? '-', e.client, e.detail!.count])).toEqual(
      expect.arrayContaining([
        ['txn-1', 'rs-a', 3],
        ['txn-1', 'rs-b', 1],
        ['-', 'rs-a', 2],
        ['txn-1', 'rs-a', 1],
      ]),
    );
    expect(suppressed).toHaveLength(4);
    expect(await store.readAudit(undefined, 1_000, 'decisions')).toEqual([]);
    const task = await store.readTaskAudit('txn-1', 1_000, 'refusals');
    expect(task.length).toBe(2 + 1 + 2 + 1 + 2 + 1);
  });
});
