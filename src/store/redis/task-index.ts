import { epochSeconds } from '../../clock.js';
import type { TaskIndexStore } from '../store.js';
import {
  type TaskIndexPage,
  type TaskRecord,
  taskIndexHour,
  taskIndexShard,
  taskCursorPosition,
  taskPosition,
} from '../types.js';
import { type Client, guarded } from './commands.js';
import type { Keys } from './keys.js';

const encode = (pos: string) => Buffer.from(pos, 'utf8').toString('base64url');
const startOf = (pos: string) => Number(pos.slice(0, pos.indexOf('|')));

/**
 * The task index on Redis: per hour of task starts, `shards` pairs of sorted sets, each pair
 * its own hash tag (src/store/redis/keys.ts). A task start writes its pair in one MULTI beside
 * the task-start script (same round trip; a script cannot span two slots of a Cluster).
 */
export class RedisTaskIndex implements TaskIndexStore {
  constructor(
    private readonly client: Client,
    private readonly k: Keys,
    private readonly shards: number,
  ) {}

  /** Indexes a task being started; both sets expire after the latest deadline they hold. */
  writeStart(task: Pick<TaskRecord, 'txn' | 'createdAt' | 'deadline'>): Promise<void> {
    const hour = taskIndexHour(task.createdAt);
    const shard = taskIndexShard(task.txn, this.shards);
    const all = this.k.taskIndex(hour, shard);
    const open = this.k.taskIndexOpen(hour, shard);
    return guarded(async () => {
      // NX then GT: a new key gets the deadline; a later deadline pushes the expiry out.
      const replies = await this.client
        .multi()
        .zadd(all, 0, taskPosition(task))
        .call('EXPIREAT', all, task.deadline, 'NX')
        .call('EXPIREAT', all, task.deadline, 'GT')
        .zadd(open, task.deadline, task.txn)
        .call('EXPIREAT', open, task.deadline, 'NX')
        .call('EXPIREAT', open, task.deadline, 'GT')
        .exec();
      const failed = replies?.find(([err]) => err);
      if (!replies || failed) throw failed?.[0] ?? new Error('MULTI aborted');
    });
  }

  /** A task that ended leaves the open set (its entry in `all` stays until its deadline). */
  noteEnded(txn: string, createdAtSec: number): Promise<void> {
    const key = this.k.taskIndexOpen(taskIndexHour(createdAtSec), taskIndexShard(txn, this.shards));
    return guarded(async () => {
      await this.client.zrem(key, txn);
    });
  }

  listTaskIds(sinceSec: number, cursor: string | undefined, limit: number): Promise<TaskIndexPage> {
    const after = cursor === undefined ? undefined : taskCursorPosition(cursor);
    const top = taskIndexHour(after === undefined ? epochSeconds() : startOf(after));
    const bottom = taskIndexHour(sinceSec);
    const max = after === undefined ? '+' : `(${after}`;
    const min = `[${String(sinceSec).padStart(12, '0')}|`;
    return guarded(async () => {
      const found: string[] = [];
      // Newest hour first; each hour's shards merged. An hour's entries are all newer than the
      // hour before's, so taking limit+1 per shard and stopping once past `limit` is exact.
      for (let hour = top; hour >= bottom && found.length <= limit; hour--) {
        const perShard = await Promise.all(
          Array.from({ length: this.shards }, (_, s) =>
            this.client.zrevrangebylex(this.k.taskIndex(hour, s), max, min, 'LIMIT', 0, limit + 1),
          ),
        );
        found.push(...perShard.flat().sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
      }
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      return {
        txns: page.map((pos) => pos.slice(pos.indexOf('|') + 1)),
        ...(found.length > limit && last ? { next: encode(last) } : {}),
      };
    });
  }

  countOpenTasks(sinceSec: number): Promise<number> {
    const now = epochSeconds();
    const keys: string[] = [];
    for (let hour = taskIndexHour(now); hour >= taskIndexHour(sinceSec); hour--)
      for (let s = 0; s < this.shards; s++) keys.push(this.k.taskIndexOpen(hour, s));
    return guarded(async () => {
      const counts = await Promise.all(
        keys.map((key) => this.client.zcount(key, `(${now}`, '+inf')),
      );
      return counts.reduce((a, b) => a + b, 0);
    });
  }
}
