import type { NoticeStore, TokenStateStore } from '../store.js';
import type { TokenState } from '../types.js';
import type { MemoryTasks } from './tasks.js';

/**
 * The liveness of one recorded token, read from the task it belongs to, and which of the task's
 * revocations reached the feed (kept in the task's entry, so they go with it).
 */
export class MemoryTokenState implements TokenStateStore, NoticeStore {
  constructor(private readonly tasks: MemoryTasks) {}

  async checkToken(txn: string, jti: string, anc: readonly string[]): Promise<TokenState> {
    const e = this.tasks.live(txn);
    const t = e?.tokens.get(jti);
    if (!e || !t) return 'unknown';
    if (e.task.status !== 'open') return 'task_ended';
    if (e.revoked.has(jti) || anc.some((j) => e.revoked.has(j))) return 'revoked';
    return 'active';
  }

  async inspectToken(txn: string, jti: string, anc: readonly string[]) {
    const state = await this.checkToken(txn, jti, anc);
    const ctx = state === 'active' ? this.tasks.live(txn)?.tokens.get(jti)?.ctx : undefined;
    return { state, ...(ctx ? { ctx } : {}) };
  }

  async revokeToken(txn: string, jti: string): Promise<{ changed: boolean } | undefined> {
    const e = this.tasks.live(txn);
    if (!e) return undefined;
    const changed = !e.revoked.has(jti);
    e.revoked.add(jti);
    return { changed };
  }

  async wasNotified(txn: string, jti?: string): Promise<boolean> {
    return this.tasks.live(txn)?.notified.has(jti ?? '') ?? false;
  }

  async noteNotified(txn: string, jti?: string): Promise<void> {
    this.tasks.live(txn)?.notified.add(jti ?? '');
  }
}
