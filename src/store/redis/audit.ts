import { epochMillis } from '../../clock.js';
import type { AuditStore } from '../store.js';
import type { AuditEntry, AuditRetention } from '../types.js';
import { guarded, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

/** The audit trail: each task's stream (under its hash tag) and one global stream. */
export class RedisAudit implements AuditStore {
  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
    private readonly retention: AuditRetention,
  ) {}

  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    const { taskMaxEvents, globalMaxEvents, maxAgeSeconds } = this.retention;
    // Separate commands, not one pipeline: on a Cluster the keys live in different slots;
    // auto-pipelining still sends them in one write per node.
    return guarded(async () => {
      const ops: Promise<unknown>[] = [];
      for (const e of entries) {
        if (e.txn && !e.inTaskStream)
          ops.push(
            this.client.batonTaskAudit(this.k.events(e.txn), e.json, taskMaxEvents, maxAgeSeconds),
          );
        ops.push(
          this.client.xadd(this.k.audit(), 'MAXLEN', '~', globalMaxEvents, '*', 'e', e.json),
        );
      }
      const oldest = String(epochMillis() - maxAgeSeconds * 1000);
      ops.push(this.client.xtrim(this.k.audit(), 'MINID', '~', oldest));
      await Promise.all(ops);
    });
  }

  readTaskAudit(txn: string, limit: number): Promise<{ id: string; json: string }[]> {
    return guarded(async () =>
      (await this.client.xrange(this.k.events(txn), '-', '+', 'COUNT', limit)).map(([id, f]) => ({
        id,
        json: f[1] ?? 'null',
      })),
    );
  }

  readAudit(afterId: string | undefined, limit: number): Promise<{ id: string; json: string }[]> {
    return guarded(async () =>
      (
        await this.client.xrange(this.k.audit(), afterId ? `(${afterId}` : '-', '+', 'COUNT', limit)
      ).map(([id, f]) => ({ id, json: f[1] ?? 'null' })),
    );
  }
}
