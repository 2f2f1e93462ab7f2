/**
 * task.renew through the SDK against a live Baton (memory and Redis): allowed with a fresh token
 * of the same user, refused after a user revocation, with another user's token, and past
 * taskMaxSeconds; with DPoP nonces and private_key_jwt on the way.
 */
import { ISSUER, TICKETS, claimsOf, makeClientKey } from '../../../test/support/index.js';
import { adminRevoke } from '../../../test/support/revocation-flows.js';
import type { BatonError } from '../src/index.js';
import { type LiveBaton, liveBaton, type StoreKind } from './live-baton.js';

describe.each<StoreKind>(['memory', 'redis'])('task.renew (%s store)', (store) => {
  let live: LiveBaton;
  beforeAll(async () => {
    live = await liveBaton(store, (raw) => {
      raw.defaults = { taskTtlSeconds: 900, taskMaxSeconds: 3600 };
    });
  });
  afterAll(() => live.close());

  test('a fresh token of the same user moves the deadline; held tool tokens keep their exp', async () => {
    const agent = await live.agent('support-agent');
    const task = await agent.startTask(await live.up.userToken({ expIn: 60 }));
    const before = task.expiresAt;
    const tool = await task.tokenFor(TICKETS);
    const deadline = await task.renew(await live.up.userToken({ expIn: 3600 }));
    expect(deadline).toBeGreaterThan(before + 600);
    expect(task.expiresAt).toBe(deadline);
    expect(claimsOf(tool.token).exp).toBeLessThanOrEqual(before);
    const fresh = await task.tokenFor(TICKETS, { scope: ['tickets:write'] });
    expect(claimsOf(fresh.token).exp).toBeGreaterThan(before);
  });

  test("another user's token is refused (invalid_request)", async () => {
    const agent = await live.agent('support-agent');
    const task = await agent.startTask(await live.up.userToken({ expIn: 60 }));
    const e = await task
      .renew(await live.up.userToken({ expIn: 3600, sub: 'mallory@example.com' }))
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'invalid_request', status: 400 });
  });

  test('after the user is revoked, renewal is refused', async () => {
    const agent = await live.agent('support-agent');
    const sub = `renew-${store}@example.com`;
    const task = await agent.startTask(await live.up.userToken({ expIn: 60, sub }));
    await adminRevoke(live.b.url, `/admin/users/${encodeURIComponent(sub)}/revoke`);
    const e = await task
      .renew(await live.up.userToken({ expIn: 3600, sub }))
      .catch((x: unknown) => x);
    expect((e as BatonError).code).toBe('invalid_request');
  });
});

describe('task.renew past taskMaxSeconds, DPoP nonces and private_key_jwt', () => {
  let live: LiveBaton;
  let key: Awaited<ReturnType<typeof makeClientKey>>;
  beforeAll(async () => {
    key = await makeClientKey();
    live = await liveBaton('memory', (raw) => {
      raw.defaults = { taskTtlSeconds: 120, taskMaxSeconds: 120 };
      raw.dpop = { nonce: { secret: 'a-nonce-secret-of-at-least-32-characters!!' } };
      const agents = raw.agents as { id: string; auth: unknown }[];
      agents.find((a) => a.id === 'support-agent')!.auth = {
        method: 'private_key_jwt',
        jwks: key.jwks,
      };
    });
  });
  afterAll(() => live.close());

  test("with nonces required every call succeeds (retried with Baton's DPoP-Nonce); renewal past the cap is refused", async () => {
    const agent = await live.agent('support-agent', {
      dpop: true,
      auth: { privateKeyJwt: { key: key.privateKey, kid: 'client-1' } },
    });
    const task = await agent.startTask(await live.up.userToken());
    expect(claimsOf(task.taskToken)).toMatchObject({
      iss: ISSUER,
      cnf: { jkt: agent.dpopThumbprint },
    });
    await task.tokenFor(TICKETS);
    const e = await task.renew(await live.up.userToken({ expIn: 3600 })).catch((x: unknown) => x);
    expect((e as BatonError).code).toBe('invalid_request');
    expect((e as BatonError).description).toMatch(/taskMaxSeconds/);
    await expect(task.complete('succeeded')).resolves.toMatchObject({ status: 'completed' });
  });
});
