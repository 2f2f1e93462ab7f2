import type { SessionStore } from '../store.js';
import type { SessionRecord } from '../types.js';

/** Console sessions in one process: each with its idle end beside the record. */
export class MemorySessions implements SessionStore {
  private readonly sessions = new Map<string, { rec: SessionRecord; idleEnd: number }>();

  async putSession(rec: SessionRecord, idleSeconds: number): Promise<void> {
    this.sessions.set(rec.id, { rec: { ...rec }, idleEnd: rec.lastSeenAt + idleSeconds });
  }

  async touchSession(id: string, nowSec: number, idleSeconds: number) {
    const e = this.sessions.get(id);
    if (!e) return undefined;
    if (e.idleEnd <= nowSec || e.rec.expiresAt <= nowSec) {
      this.sessions.delete(id);
      return undefined;
    }
    e.rec.lastSeenAt = nowSec;
    e.idleEnd = Math.min(nowSec + idleSeconds, e.rec.expiresAt);
    return { ...e.rec };
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.sessions.delete(id);
  }

  sweep(now: number): void {
    for (const [id, e] of this.sessions)
      if (e.idleEnd <= now || e.rec.expiresAt <= now) this.sessions.delete(id);
  }
}
