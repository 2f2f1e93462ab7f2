/**
 * The SessionStore contract (src/store/store.ts): a session lives until its idle end or its
 * absolute end, whichever comes first; each use moves the idle end; deleting ends it.
 */
import { STORE_LIMITS } from '../../../src/config/defaults.js';
import { epochSeconds } from '../../../src/clock.js';
import type { SessionRecord, TokenStore } from '../../../src/store/store.js';
import type { MakeStore } from '../store-contract.js';

const session = (over: Partial<SessionRecord> = {}): SessionRecord => {
  const now = epochSeconds();
  return {
    id: `s-${Math.random().toString(36).slice(2)}`,
    admin: 'ada@example.com',
    role: 'approver',
    via: 'oidc',
    csrf: 'csrf-value',
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + 3600,
    ...over,
  };
};

export function describeSessionContract(name: string, make: MakeStore): void {
  describe(`${name}: console sessions`, () => {
    let store: TokenStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make(STORE_LIMITS));
    });
    afterEach(async () => {
      await cleanup();
    });

    test('a stored session is found, its use noted; deleting it ends it', async () => {
      const s = session();
      await store.putSession(s, 600);
      const now = epochSeconds();
      const found = await store.touchSession(s.id, now + 5, 600);
      expect(found).toEqual({ ...s, lastSeenAt: now + 5 });
      expect(await store.deleteSession(s.id)).toBe(true);
      expect(await store.touchSession(s.id, now + 6, 600)).toBeUndefined();
      expect(await store.deleteSession(s.id)).toBe(false);
    });

    test('an unknown session is undefined', async () => {
      expect(await store.touchSession('no-such-session', epochSeconds(), 600)).toBeUndefined();
    });

    test('a session unused for longer than the idle timeout is gone', async () => {
      const now = epochSeconds();
      const s = session({ createdAt: now - 100, lastSeenAt: now - 100 });
      await store.putSession(s, 50);
      expect(await store.touchSession(s.id, now, 50)).toBeUndefined();
    });

    test('a session past its absolute end is gone however recently used', async () => {
      const now = epochSeconds();
      const s = session({ expiresAt: now + 100 });
      await store.putSession(s, 600);
      expect(await store.touchSession(s.id, now + 50, 600)).toBeDefined();
      expect(await store.touchSession(s.id, now + 100, 600)).toBeUndefined();
    });

    test('each use moves the idle end', async () => {
      const now = epochSeconds();
      const s = session({ createdAt: now - 40, lastSeenAt: now - 40 });
      await store.putSession(s, 50);
      expect(await store.touchSession(s.id, now, 50)).toBeDefined();
      expect(await store.touchSession(s.id, now + 45, 50)).toBeDefined();
    });
  });
}
