import { InvalidTokenError } from '../src/errors.js';
import { challengeFor } from '../src/lib/challenge.js';
import { MemoryReplayCache } from '../src/lib/replay-cache.js';
import { RevocationState } from '../src/lib/revocation-state.js';
import { resourceMetadataUrl } from '../src/metadata.js';

const subject = {
  txn: 't1',
  jti: 'j2',
  sub: 'alice',
  client_id: 'a',
  iat: 100,
  actors: ['a'],
  anc: ['j1'],
  st: [100_000_000],
};

describe('pure rules of the resource-server verifier', () => {
  test('the replay cache refuses a replay, and refuses new proofs when full of live ones', () => {
    const c = new MemoryReplayCache(2);
    const later = Date.now() / 1000 + 60;
    expect(c.useOnce('k1', later)).toBe(true);
    expect(c.useOnce('k1', later)).toBe(false);
    expect(c.useOnce('k2', later)).toBe(true);
    expect(() => c.useOnce('k3', later)).toThrow(RangeError);
    // Expired entries make room.
    const d = new MemoryReplayCache(1);
    expect(d.useOnce('old', Date.now() / 1000 - 1)).toBe(true);
    expect(d.useOnce('new', later)).toBe(true);
  });

  test('the state applies the cascade through lineage.anc, and a policy event only once per version', () => {
    const s = new RevocationState(60_000);
    expect(s.verdict(subject)).toBe('ok');
    s.apply({ type: 'token', txn: 't1', jti: 'j1', stamp: 1 });
    expect(s.verdict(subject)).toBe('revoked');
    s.clear();
    expect(s.verdict(subject)).toBe('ok');
    s.apply({ type: 'policy', version: 'v1', stamp: 200_000_000 });
    expect(s.needsRecheck(subject.iat, -1)).toBe(true);
    expect(s.needsRecheck(subject.iat, s.recheck.epoch)).toBe(false);
    const epoch = s.recheck.epoch;
    s.apply({ type: 'policy', version: 'v1', stamp: 300_000_000 });
    expect(s.recheck.epoch).toBe(epoch);
    // A token issued after the cut (iat in seconds, stamp in µs) needs no re-check.
    expect(s.needsRecheck(500, -1)).toBe(false);
  });

  test('marks are forgotten once their stamp is older than the retention, like Baton forgets them', () => {
    const s = new RevocationState(60_000);
    const now = 1_000_000_000; // ms
    const stampAt = (ms: number) => ms * 1000; // marks are stamped in epoch µs
    s.apply({ type: 'user', sub: 'alice', before: stampAt(now - 60_000), stamp: 1 });
    s.apply({ type: 'agent', id: 'a', before: stampAt(now - 59_000), stamp: 2 });
    s.apply({ type: 'all', before: stampAt(now - 61_000), stamp: 3 });
    expect(s.markCount).toBe(3);
    s.prune(now);
    // The user mark and the kill switch are a full retention old: gone; the agent's one second younger stays.
    expect(s.markCount).toBe(1);
    expect(s.verdict({ ...subject, client_id: 'a', st: [stampAt(now - 70_000)] })).toBe('revoked');
    s.prune(now + 1_000);
    expect(s.markCount).toBe(0);
  });

  test('challenges quote their values (RFC 7235) and put the error on the scheme it concerns', () => {
    const e = new InvalidTokenError('say "no" \\ now');
    const h = challengeFor(
      e,
      { dpop: 'allowed', algorithms: ['ES256'], resourceMetadata: 'https://r/m' },
      'Bearer',
    );
    expect(h).toBe(
      'Bearer error="invalid_token", error_description="say \\"no\\" \\\\ now", resource_metadata="https://r/m", ' +
        'DPoP resource_metadata="https://r/m", algs="ES256"',
    );
  });

  test('RFC 9728 §3.1: the well-known suffix goes between the host and the path', () => {
    expect(resourceMetadataUrl('https://tools.example/billing/')).toBe(
      'https://tools.example/.well-known/oauth-protected-resource/billing',
    );
    expect(resourceMetadataUrl('https://tools.example')).toBe(
      'https://tools.example/.well-known/oauth-protected-resource',
    );
  });
});
