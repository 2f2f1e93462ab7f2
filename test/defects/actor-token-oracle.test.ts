/**
 * An agent without `mayPresentActorTokens` is refused before its `actor_token` is read: the
 * same answer (400 `unauthorized_client`) whether the token is live, revoked, of an ended task
 * or garbage, and the store is never asked about it. Verifying first made /token an oracle for
 * the state of any token an agent holds a copy of. Over HTTP, memory store.
 */
import { STORE_LIMITS } from '../../src/config/defaults.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import {
  claimsOf,
  completeTaskAs,
  exchange,
  ISSUER,
  makeUpstream,
  revokeAs,
  startBaton,
  startTaskToken,
  testConfig,
  type RunningBaton,
  type Upstream,
} from '../support/fixtures.js';

/** A memory store that notes which jtis the store was asked about. */
class WatchedStore extends MemoryStore {
  readonly checked: string[] = [];
  override checkToken(txn: string, jti: string, anc: readonly string[]) {
    this.checked.push(jti);
    return super.checkToken(txn, jti, anc);
  }
}

let upstream: Upstream;
let b: RunningBaton;
let url: string;
const store = new WatchedStore(STORE_LIMITS);
/** Actor tokens in every state, each naming billing-agent. */
const actors: Record<string, string> = {};

beforeAll(async () => {
  upstream = await makeUpstream();
  b = await startBaton(testConfig(upstream), { store });
  url = b.url;
  actors.live = await startTaskToken(url, upstream, 'billing-agent');
  actors.revoked = await startTaskToken(url, upstream, 'billing-agent');
  expect(await revokeAs(url, 'billing-agent', actors.revoked)).toBe(200);
  actors.ended = await startTaskToken(url, upstream, 'billing-agent');
  expect((await completeTaskAs(url, 'billing-agent', claimsOf(actors.ended).txn)).status).toBe(200);
  actors.upstream = await upstream.userToken({ sub: 'billing-agent' });
  actors.garbage = 'not-a-token';
  actors.forged = `${actors.live.slice(0, -8)}AAAAAAAA`;
});
afterAll(async () => {
  await b?.close();
  await store.close();
});

const withActor = async (as: 'support-agent' | 'orchestrator', actor: string, start: boolean) =>
  exchange(url, as, {
    subject_token: start ? await upstream.userToken() : await startTaskToken(url, upstream, as),
    audience: ISSUER,
    actor_token: actor,
    actor_token_type: TOKEN_TYPE_ACCESS,
  });

describe.each([
  ['a hand-off', false],
  ['a task start', true],
])('%s by an agent without mayPresentActorTokens', (_op, start) => {
  it('answers the same whatever state the actor token is in, without asking the store', async () => {
    const answers: Record<string, unknown> = {};
    store.checked.length = 0;
    for (const [state, token] of Object.entries(actors)) {
      const r = await withActor('support-agent', token, start);
      answers[state] = { status: r.status, body: r.body };
    }
    const one = {
      status: 400,
      body: {
        error: 'unauthorized_client',
        error_description: 'client support-agent may not present actor tokens',
      },
    };
    expect(answers).toEqual(Object.fromEntries(Object.keys(actors).map((s) => [s, one])));
    const actorJtis = ['live', 'revoked', 'ended'].map((s) => claimsOf(actors[s]!).jti);
    expect(store.checked.filter((j) => actorJtis.includes(j))).toEqual([]);
  });
});

it('an agent with the permission does learn the state (so the check above can fail)', async () => {
  const live = await withActor('orchestrator', actors.live!, false);
  const revoked = await withActor('orchestrator', actors.revoked!, false);
  expect(live.status).toBe(200);
  expect(revoked.body).toMatchObject({ error: 'invalid_request' });
  expect(String(revoked.body.error_description)).toContain('actor_token is not active');
});
