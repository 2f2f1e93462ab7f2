import type { NoticeStore, TokenStateStore } from '../store.js';
import type { TokenState } from '../types.js';
import { decodeRecord } from './codec.js';
import { guarded, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

const noticeMember = (jti?: string): string => (jti === undefined ? 'task' : `t:${jti}`);

/**
 * The liveness of one token: one script reads the task, the record and the revoked set. And
 * which of the task's revocations reached the feed, in a set under the same `{txn}` tag.
 */
export class RedisTokenState implements TokenStateStore, NoticeStore {
  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
  ) {}

  checkToken(txn: string, jti: string, anc: readonly string[]): Promise<TokenState> {
    return guarded(() =>
      this.client.batonCheck(
        this.k.task(txn),
        this.k.tokens(txn),
        this.k.revoked(txn),
        jti,
        ...anc,
      ),
    );
  }

  inspectToken(txn: string, jti: string, anc: readonly string[]) {
    return guarded(async () => {
      const [state, rec] = await this.client.batonInspect(
        this.k.task(txn),
        this.k.tokens(txn),
        this.k.revoked(txn),
        jti,
        ...anc,
      );
      const ctx = rec ? decodeRecord(txn, jti, rec).ctx : undefined;
      return { state, ...(ctx ? { ctx } : {}) };
    });
  }

  revokeToken(txn: string, jti: string): Promise<{ changed: boolean } | undefined> {
    return guarded(async () => {
      const r = await this.client.batonRevoke(this.k.task(txn), this.k.revoked(txn), jti);
      return r === 0 ? undefined : { changed: r === 1 };
    });
  }

  wasNotified(txn: string, jti?: string): Promise<boolean> {
    return guarded(
      async () => (await this.client.sismember(this.k.notified(txn), noticeMember(jti))) === 1,
    );
  }

  noteNotified(txn: string, jti?: string): Promise<void> {
    return guarded(async () => {
      await this.client.batonNoteNotified(
        this.k.task(txn),
        this.k.notified(txn),
        noticeMember(jti),
      );
    });
  }
}
