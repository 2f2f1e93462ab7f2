import type { ReplayStore } from '../store.js';
import { guarded, type ScriptedClient } from './commands.js';
import type { Keys } from './keys.js';

/** Single-use ids: SET NX with an absolute expiry, so the key goes when the id would lapse. */
export class RedisReplay implements ReplayStore {
  constructor(
    private readonly client: ScriptedClient,
    private readonly k: Keys,
  ) {}

  useOnce(namespace: string, id: string, expSeconds: number): Promise<boolean> {
    return guarded(
      async () =>
        (await this.client.set(
          this.k.once(namespace, id),
          '1',
          'EXAT',
          Math.ceil(expSeconds),
          'NX',
        )) === 'OK',
    );
  }
}
