/**
 * The demo story in SDK calls against a live Baton, on the memory and the Redis store, with DPoP
 * off and on: start, tool tokens, a refusal, a hand-off, an approval waited for with onPending,
 * a bound call, completion, and the next call refused.
 */
import { BILLING, TICKETS, claimsOf } from '../../../test/support/index.js';
import { adminRequest } from '../../../test/support/revocation-flows.js';
import { BatonError, type PendingApproval } from '../src/index.js';
import { DEPLOY, type LiveBaton, liveBaton, type StoreKind } from './live-baton.js';

const VARIANTS: { store: StoreKind; dpop: boolean | 'Ed25519' }[] = [
  { store: 'memory', dpop: false },
  { store: 'memory', dpop: true },
  { store: 'redis', dpop: false },
  { store: 'redis', dpop: true },
  // Ed25519 proof keys, on a Baton that accepts no other DPoP algorithm: every proof of the
  // story is Ed25519, or the story fails.
  { store: 'redis', dpop: 'Ed25519' },
];

describe.each(VARIANTS)(
  'the demo story through the SDK ($store store, DPoP $dpop)',
  ({ store, dpop }) => {
    let live: LiveBaton;
    beforeAll(async () => {
      live = await liveBaton(store, (raw) => {
        if (dpop === 'Ed25519') raw.dpop = { algorithms: ['Ed25519'] };
      });
    });
    afterAll(() => live.close());

    test('start, tool token, refusal, hand-off, approval, bound call, completion', async () => {
      const support = await live.agent('support-agent', { dpop });
      const billing = await live.agent('billing-agent', { dpop });
      const userToken = await live.up.userToken({
        scope: 'tickets:read tickets:write billing:read deploy:prod',
      });
      const task = await support.startTask(userToken, { purpose: 'refund ticket 42' });
      expect(claimsOf(task.taskToken).task?.purpose).toBe('refund ticket 42');
      expect(claimsOf(task.taskToken).cnf).toEqual(
        dpop ? { jkt: support.dpopThumbprint } : undefined,
      );

      const tickets = await task.tokenFor(TICKETS, { scope: ['tickets:read'] });
      expect(claimsOf(tickets.token)).toMatchObject({
        aud: TICKETS,
        scope: 'tickets:read',
        txn: task.txn,
      });
      expect(tickets.tokenType).toBe(dpop ? 'DPoP' : 'Bearer');

      // support-agent may not use billing: Baton's refusal, typed, with its code and description.
      const refused = await task.tokenFor(BILLING).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BatonError);
      expect((refused as BatonError).code).toBe('invalid_target');
      expect((refused as BatonError).status).toBe(400);
      expect((refused as BatonError).description).toMatch(/billing/);

      // Hand-off: an offer for a bound task, the task token for an unbound one.
      const handOff = await task.handOff('billing-agent');
      expect(handOff.tokenType).toBe(
        dpop
          ? 'urn:baton:params:oauth:token-type:hand-off-offer'
          : 'urn:ietf:params:oauth:token-type:access_token',
      );
      const taken = await billing.acceptHandOff(handOff);
      expect(taken.txn).toBe(task.txn);
      expect(claimsOf(taken.taskToken).act).toEqual({
        sub: 'billing-agent',
        act: { sub: 'support-agent' },
      });
      const bill = await taken.tokenFor(BILLING, { scope: ['billing:read'] });
      expect(claimsOf(bill.token).cnf).toEqual(dpop ? { jkt: billing.dpopThumbprint } : undefined);

      // Approval: onPending hears it, an admin approves, the next poll gets the token.
      const heard: PendingApproval[] = [];
      const deploy = await task.tokenFor(DEPLOY, {
        toolCall: { action: 'deploy', arguments: { service: 'web', version: '1.4.2' } },
        onPending: (p) => {
          heard.push(p);
          if (heard.length === 1)
            void adminRequest(
              live.b.url,
              'POST',
              `/admin/approvals/${encodeURIComponent(p.approvalId)}/approve`,
            );
        },
      });
      expect(heard.length).toBeGreaterThanOrEqual(1);
      expect(heard[0]).toMatchObject({
        resource: DEPLOY,
        toolCall: { action: 'deploy' },
        interval: 1,
      });
      expect(claimsOf(deploy.token).authorization_details).toEqual([
        {
          type: 'tool_call',
          tool: DEPLOY,
          action: 'deploy',
          arguments: { service: 'web', version: '1.4.2' },
        },
      ]);

      const done = await task.complete('succeeded', 'refunded');
      expect(done).toMatchObject({
        txn: task.txn,
        status: 'completed',
        outcome: 'succeeded',
        alreadyEnded: false,
      });
      expect(done.tokensEnded).toBeGreaterThanOrEqual(5);
      const after = await task
        .tokenFor(TICKETS, { scope: ['tickets:write'] })
        .catch((e: unknown) => e);
      expect((after as BatonError).code).toBe('invalid_request');
      expect((after as BatonError).description).toMatch(/ended/);
      await expect(task.complete('succeeded')).resolves.toMatchObject({ alreadyEnded: true });
    }, 30_000);

    test('a denied approval ends the wait with access_denied; an aborted one with the abort reason', async () => {
      const support = await live.agent('support-agent', { dpop });
      const task = await support.startTask(
        await live.up.userToken({ scope: 'deploy:prod tickets:read' }),
      );
      const denied = await task
        .tokenFor(DEPLOY, {
          onPending: (p) =>
            void adminRequest(
              live.b.url,
              'POST',
              `/admin/approvals/${encodeURIComponent(p.approvalId)}/deny`,
            ),
        })
        .catch((e: unknown) => e);
      expect((denied as BatonError).code).toBe('access_denied');

      const controller = new AbortController();
      const aborted = await task
        .tokenFor(DEPLOY, {
          toolCall: { action: 'rollback' },
          onPending: () => controller.abort(new Error('user gave up')),
          signal: controller.signal,
        })
        .catch((e: unknown) => e);
      expect((aborted as Error).message).toBe('user gave up');
    }, 20_000);

    test('revoke() ends the task token and everything derived from it', async () => {
      const support = await live.agent('support-agent', { dpop });
      const task = await support.startTask(await live.up.userToken());
      await task.tokenFor(TICKETS);
      await task.revoke();
      const r = await task.tokenFor(TICKETS, { scope: ['tickets:write'] }).catch((e: unknown) => e);
      expect((r as BatonError).code).toBe('invalid_request');
      expect((r as BatonError).description).toMatch(/revoked/);
    });
  },
);

describe('the dpop option', () => {
  test('an algorithm the SDK does not generate keys for is refused at createAgent, before any request', async () => {
    const live = await liveBaton('memory');
    try {
      const made = await live
        .agent('support-agent', { dpop: 'HS256' as unknown as 'Ed25519' })
        .catch((e: unknown) => e);
      expect(made).toBeInstanceOf(TypeError);
      expect((made as Error).message).toMatch(/'ES256', 'Ed25519' or a key pair/);
    } finally {
      await live.close();
    }
  });

  test('a Baton that accepts only ES256 proofs refuses an Ed25519 agent with invalid_dpop_proof', async () => {
    const live = await liveBaton('memory', (raw) => {
      raw.dpop = { algorithms: ['ES256'] };
    });
    try {
      const support = await live.agent('support-agent', { dpop: 'Ed25519' });
      const r = await support.startTask(await live.up.userToken()).catch((e: unknown) => e);
      expect(r).toBeInstanceOf(BatonError);
      expect((r as BatonError).code).toBe('invalid_dpop_proof');
      expect((r as BatonError).description).toMatch(/alg must be one of ES256/);
    } finally {
      await live.close();
    }
  });
});
