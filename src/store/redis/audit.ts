import { epochMillis } from '../../clock.js';
import type { AuditStore } from '../store.js';
import type { AuditEntry, AuditRetention, AuditStream } from '../types.js';
import { guarded, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

/**
 * The audit trail: each task's streams (under its hash tag) and the global ones; decisions and
 * refusals in separate streams, each trimmed to its own length, so refusals never evict a decision.
 */
export class RedisAudit implements AuditStore {
  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
    private readonly retention: AuditRetention,
  ) {}

  /** The task stream and global stream of one kind, and their length bounds. */
  private streams(stream: AuditStream) {
    const r = this.retention;
    return stream === 'refusals'
      ? {
          task: this.k.refusals,
          global: this.k.auditRefusals(),
          taskMax: r.taskMaxRefusals,
          globalMax: r.globalMaxRefusals,
        }
      : {
          task: this.k.events,
          global: this.k.audit(),
          taskMax: r.taskMaxEvents,
          globalMax: r.globalMaxEvents,
        };
  }

  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    const { maxAgeSeconds } = this.retention;
    // Separate commands, not one pipeline: on a Cluster the keys live in different slots;
    // auto-pipelining still sends them in one write per node.
    return guarded(async () => {
      const ops: Promise<unknown>[] = [];
      for (const e of entries) {
        const s = this.streams(e.refusal ? 'refusals' : 'decisions');
        if (e.txn && !e.inTaskStream)
          ops.push(this.client.batonTaskAudit(s.task(e.txn), e.json, s.taskMax, maxAgeSeconds));
        ops.push(this.client.xadd(s.global, 'MAXLEN', '~', s.globalMax, '*', 'e', e.json));
      }
      const oldest = String(epochMillis() - maxAgeSeconds * 1000);
      for (const g of [this.k.audit(), this.k.auditRefusals()])
        ops.push(this.client.xtrim(g, 'MINID', '~', oldest));
      await Promise.all(ops);
    });
  }

  readTaskAudit(
    txn: string,
    limit: number,
    stream: AuditStream,
  ): Promise<{ id: string; json: string }[]> {
    const key = this.streams(stream).task(txn);
    return guarded(async () =>
      (await this.client.xrange(key, '-', '+', 'COUNT', limit)).map(([id, f]) => ({
        id,
        json: f[1] ?? 'null',
      })),
    );
  }

  readAudit(
    afterId: string | undefined,
    limit: number,
    stream: AuditStream,
  ): Promise<{ id: string; json: string }[]> {
    const key = this.streams(stream).global;
    return guarded(async () =>
      (await this.client.xrange(key, afterId ? `(${afterId}` : '-', '+', 'COUNT', limit)).map(
        ([id, f]) => ({ id, json: f[1] ?? 'null' }),
      ),
    );
  }
}
