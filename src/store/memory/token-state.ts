import type { TokenStateStore } from '../store.js';
import type { TokenState } from '../types.js';
import type { MemoryTasks } from './tasks.js';

/** The liveness of one recorded token, read from the task it belongs to. */
export class MemoryTokenState implements TokenStateStore {
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

  async revokeToken(txn: string, jti: string): Promise<void> {
    this.tasks.live(txn)?.revoked.add(jti);
  }
}
