/** MarkStore: cross-task revocation marks (agent, user, everyone). */
import type { TokenStore } from '../../../src/store/store.js';
import type { GetStore } from './helpers.js';
import { allMarks } from '../marks.js';

export function describeMarkContract(getStore: GetStore): void {
  describe('marks', () => {
    let store: TokenStore;
    beforeEach(() => {
      store = getStore();
    });

    it('loadMarks is empty (all = 0) before any mark', async () => {
      const marks = await allMarks(store);
      expect(marks.agents.size).toBe(0);
      expect(marks.users.size).toBe(0);
      expect(marks.all).toBe(0);
    });

    it('putMark returns increasing stamps; loadMarks returns the latest per agent / user / all', async () => {
      const s1 = await store.putMark('agent', 'agent-a');
      const s2 = await store.putMark('user', 'alice@example.com');
      const s3 = await store.putMark('all', '*');
      const s4 = await store.putMark('agent', 'agent-b');
      const s5 = await store.putMark('agent', 'agent-a');
      const s6 = await store.putMark('all', '*');
      const stamps = [s1, s2, s3, s4, s5, s6];
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]!);

      const marks = await allMarks(store);
      expect(marks.agents).toEqual(
        new Map([
          ['agent-a', s5],
          ['agent-b', s4],
        ]),
      );
      expect(marks.users).toEqual(new Map([['alice@example.com', s2]]));
      expect(marks.all).toBe(s6);
    });
  });
}
