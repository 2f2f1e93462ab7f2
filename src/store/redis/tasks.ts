import type { TaskStore } from '../store.js';
import type { AuditRetention, Outcome, TaskRecord, TaskTree, TokenRecord } from '../types.js';
import { decodeRecord, decodeTask, encodeRecord, encodeTask } from './codec.js';
import { guarded, rejectOr, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

/**
 * Tasks and their token records, all under the task's `{txn}` hash tag. Starting a task and
 * recording a token are one script each (one round trip, atomic, with the task's audit event).
 */
export class RedisTasks implements TaskStore {
  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
    private readonly audit: AuditRetention,
  ) {}

  startTask(
    task: Omit<TaskRecord, 'stamp' | 'status'>,
    token: TokenRecord,
    auditJson = '',
  ): Promise<number> {
    const t = task.txn;
    const auditExpireAt = task.deadline + this.audit.maxAgeSeconds;
    return guarded(async () =>
      rejectOr(
        await this.client.batonStart(
          this.k.task(t),
          this.k.tokens(t),
          this.k.events(t),
          task.deadline,
          token.jti,
          encodeRecord(token),
          auditJson,
          auditExpireAt,
          this.audit.taskMaxEvents,
          ...encodeTask(task),
        ),
      ),
    );
  }

  recordToken(token: TokenRecord, auditJson = ''): Promise<number> {
    const t = token.txn;
    return guarded(async () =>
      rejectOr(
        await this.client.batonRecord(
          this.k.task(t),
          this.k.tokens(t),
          this.k.revoked(t),
          this.k.events(t),
          token.jti,
          encodeRecord(token),
          auditJson,
          this.audit.taskMaxEvents,
          this.audit.maxAgeSeconds,
          ...token.anc,
        ),
      ),
    );
  }

  renewTask(token: TokenRecord, deadline: number, auditJson = ''): Promise<number> {
    const t = token.txn;
    return guarded(async () =>
      rejectOr(
        await this.client.batonRenew(
          this.k.task(t),
          this.k.tokens(t),
          this.k.revoked(t),
          this.k.notified(t),
          this.k.events(t),
          deadline,
          token.jti,
          encodeRecord(token),
          auditJson,
          this.audit.taskMaxEvents,
          this.audit.maxAgeSeconds,
          ...token.anc,
        ),
      ),
    );
  }

  getTask(txn: string): Promise<TaskRecord | undefined> {
    return guarded(async () => decodeTask(txn, await this.client.hgetall(this.k.task(txn))));
  }

  getTaskTree(txn: string): Promise<TaskTree | undefined> {
    return guarded(async () => {
      // Three keys of one hash tag: one MULTI, one slot, one consistent view.
      const replies =
        (await this.client
          .multi()
          .hgetall(this.k.task(txn))
          .hgetall(this.k.tokens(txn))
          .smembers(this.k.revoked(txn))
          .exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed || replies.length !== 3) throw failed?.[0] ?? new Error('MULTI aborted');
      const [task, toks, rev] = replies.map(([, v]) => v);
      const t = decodeTask(txn, task as Record<string, string>);
      if (!t) return undefined;
      const tokens = Object.entries(toks as Record<string, string>).map(([jti, v]) =>
        decodeRecord(txn, jti, v),
      );
      return { task: t, tokens, revoked: rev as string[] };
    });
  }

  endTask(
    txn: string,
    status: 'completed' | 'revoked',
    by: string,
    outcome?: Outcome,
    summary?: string,
  ) {
    return guarded(async () => {
      const n = await this.client.batonEnd(
        this.k.task(txn),
        this.k.tokens(txn),
        status,
        by,
        outcome ?? '',
        summary ?? '',
      );
      if (n === -1) return undefined;
      return n === -2 ? { ended: 0, changed: false } : { ended: n, changed: true };
    });
  }
}
