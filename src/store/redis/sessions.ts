import type { SessionStore } from '../store.js';
import type { SessionRecord } from '../types.js';
import { type Client, guarded } from './commands.js';
import type { Keys } from './keys.js';

/**
 * KEYS: session. ARGV: now, idle seconds. The record while it lives, its use noted and its idle
 * end (the key's expiry) moved, never past its absolute end `exp`. One atomic step.
 */
const TOUCH_SESSION = `
local v = redis.call('HMGET', KEYS[1], 'rec', 'exp')
if not v[1] then return false end
local now = tonumber(ARGV[1])
local exp = tonumber(v[2])
if exp <= now then redis.call('DEL', KEYS[1]) return false end
local idle = now + tonumber(ARGV[2])
if idle > exp then idle = exp end
redis.call('HSET', KEYS[1], 'seen', ARGV[1])
redis.call('EXPIREAT', KEYS[1], idle)
return v[1]`;

type WithTouch = Client & {
  batonTouchSession(key: string, now: number, idle: number): Promise<string | null>;
};

/** Console sessions on Redis: one hash each, its own hash tag, expiring at its idle end. */
export class RedisSessions implements SessionStore {
  private readonly client: WithTouch;

  constructor(
    client: Client,
    private readonly k: Keys,
  ) {
    client.defineCommand('batonTouchSession', { numberOfKeys: 1, lua: TOUCH_SESSION });
    this.client = client as WithTouch;
  }

  putSession(rec: SessionRecord, idleSeconds: number): Promise<void> {
    const key = this.k.session(rec.id);
    const idleEnd = Math.min(rec.lastSeenAt + idleSeconds, rec.expiresAt);
    return guarded(async () => {
      const replies = await this.client
        .multi()
        .hset(key, 'rec', JSON.stringify(rec), 'exp', rec.expiresAt, 'seen', rec.lastSeenAt)
        .expireat(key, idleEnd)
        .exec();
      const failed = replies?.find(([err]) => err);
      if (!replies || failed) throw failed?.[0] ?? new Error('MULTI aborted');
    });
  }

  touchSession(id: string, nowSec: number, idleSeconds: number) {
    return guarded(async () => {
      const json = await this.client.batonTouchSession(this.k.session(id), nowSec, idleSeconds);
      if (!json) return undefined;
      return { ...(JSON.parse(json) as SessionRecord), lastSeenAt: nowSec };
    });
  }

  deleteSession(id: string): Promise<boolean> {
    return guarded(async () => (await this.client.del(this.k.session(id))) === 1);
  }
}
