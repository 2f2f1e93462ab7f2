/** TokenCache: reuse until shortly before expiry, single flight, a failed exchange not kept. */
import { REFRESH_BEFORE_EXPIRY_SECONDS, TokenCache } from '../src/token-cache.js';

const held = (token: string, exp: number) => ({
  token,
  tokenType: 'Bearer' as const,
  exp,
  scope: '',
});

describe('TokenCache', () => {
  test('reuses a token until REFRESH_BEFORE_EXPIRY_SECONDS before its exp, then fetches anew', async () => {
    let now = 1_000;
    const cache = new TokenCache(() => now);
    let n = 0;
    const next = async () => held(`t${++n}`, 1_000 + 300);
    expect((await cache.get('k', next)).token).toBe('t1');
    now = 1_300 - REFRESH_BEFORE_EXPIRY_SECONDS - 1;
    expect((await cache.get('k', next)).token).toBe('t1');
    now = 1_300 - REFRESH_BEFORE_EXPIRY_SECONDS;
    expect((await cache.get('k', next)).token).toBe('t2');
  });

  test('concurrent asks share one fetch; a failure is not kept', async () => {
    const cache = new TokenCache(() => 0);
    let calls = 0;
    let fail = true;
    const next = async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      if (fail) throw new Error('refused');
      return held('ok', 1_000);
    };
    const asks = await Promise.allSettled([cache.get('k', next), cache.get('k', next)]);
    expect(calls).toBe(1);
    expect(asks.map((a) => a.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect((await cache.get('k', next)).token).toBe('ok');
    expect(calls).toBe(2);
  });

  test('keys sort and dedupe scopes; no scope is its own key', () => {
    expect(TokenCache.keyOf('r', ['b', 'a', 'b'])).toBe(TokenCache.keyOf('r', ['a', 'b']));
    expect(TokenCache.keyOf('r', undefined)).not.toBe(TokenCache.keyOf('r', []));
  });
});
