import {
  claimsOf,
  completeTaskAs,
  exchangeOk,
  type RunningBaton,
  startTaskToken,
  startTestBaton,
  TICKETS,
  type Upstream,
} from '../../../test/support/index.js';
import type { BatonVerifier } from '../src/index.js';
import { bearer, ticketsVerifier, until } from './helpers.js';

/** What outlives a request: isActive and onRevocation, in both modes, against a real Baton. */
describe.each(['local', 'introspection'] as const)(
  '%s mode: a token’s standing after the request',
  (mode) => {
    let upstream: Upstream;
    let b: RunningBaton;
    let url: string;
    let v: BatonVerifier;

    beforeAll(async () => {
      ({ upstream, b, url } = await startTestBaton());
      v = ticketsVerifier(url, { mode, feed: true, introspectionCacheSeconds: 0 });
      await v.ready();
    });
    afterAll(async () => {
      await v.close();
      await b.close();
    });

    test('a checked token stays active until its task ends; the feed tells listeners', async () => {
      const task = await startTaskToken(url, upstream, 'support-agent');
      const tool = (
        await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS })
      ).token;
      await v.verify(bearer(tool));
      expect(await v.isActive(tool)).toBe(true);
      let heard = 0;
      const stop = v.onRevocation(() => {
        heard++;
      });
      expect((await completeTaskAs(url, 'support-agent', claimsOf(task).txn)).status).toBe(200);
      expect(await until(async () => heard > 0, true)).toBe(true);
      expect(await v.isActive(tool)).toBe(false);
      stop();
    });

    test('a token never seen is judged too, and garbage is not active', async () => {
      const task = await startTaskToken(url, upstream, 'support-agent');
      const tool = (
        await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS })
      ).token;
      expect(await v.isActive(tool)).toBe(true);
      expect(await v.isActive('not-a-token')).toBe(false);
    });
  },
);
