import { STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { SECRETS, basic, makeUpstream, startBaton, testConfig } from '../support/fixtures.js';
import { FeedReader } from '../support/revocation-flows.js';

describe('revocation feed retention', () => {
  test('a follower resuming from a cursor older than what the feed keeps is told first, with lost_up_to = the last id it can no longer get', async () => {
    const store = new MemoryStore({ ...STORE_LIMITS, feedMaxLength: 3 });
    const b = await startBaton(testConfig(await makeUpstream()), { store });
    try {
      const ids = [];
      for (let i = 0; i <= 4; i++)
        ids.push(await store.publish({ type: 'token', txn: 't', jti: `j${i}`, stamp: 1 }));
      const first = ids[0]!;
      // Five published, three kept: j0 and j1 are gone, so the feed is whole after j1's id.
      expect(await store.feedHorizon()).toBe(ids[1]);
      const feed = await FeedReader.open(`${b.url}/revocations`, {
        authorization: basic('tickets-rs', SECRETS['tickets-rs']),
        'last-event-id': first,
      });
      try {
        const gap = await feed.next();
        expect(gap?.event).toBe('gap');
        expect(JSON.parse(gap!.data)).toEqual({ type: 'gap', lost_up_to: ids[1] });
        const kept = [await feed.next(), await feed.next(), await feed.next()].map(
          (e) => JSON.parse(e!.data).jti,
        );
        expect(kept).toEqual(['j2', 'j3', 'j4']);
      } finally {
        feed.close();
      }
      // A cursor inside what is kept: no gap event, just what follows it.
      const recent = (await store.readFeed(undefined, 10))[0]!.id;
      const ok = await FeedReader.open(`${b.url}/revocations?after=${recent}`, {
        authorization: basic('tickets-rs', SECRETS['tickets-rs']),
      });
      try {
        expect((await ok.next())?.event).toBe('token');
      } finally {
        ok.close();
      }
    } finally {
      await b.close();
      await store.close();
    }
  });
});
