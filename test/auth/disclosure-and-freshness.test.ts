import { generateKeyPair } from 'jose';
import { hashSecret } from '../../src/auth/secrets.js';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';
import {
  ADMIN_KEY,
  ISSUER,
  SECRETS,
  TICKETS,
  assertionForm,
  basic,
  clientAssertion,
  exchange,
  makeClientKey,
  makeUpstream,
  postForm,
  postJson,
  startBaton,
  startTaskToken,
  testConfig,
} from '../support/fixtures.js';
import { FeedReader } from '../support/revocation-flows.js';

/** Findings of the security review, each pinned by a test. */
describe('no disclosure, and freshness of the feed', () => {
  test('a private_key_jwt client with a bad signature gets the same answer as an unknown client (no id enumeration)', async () => {
    const up = await makeUpstream();
    const key = await makeClientKey();
    const b = await startBaton(
      testConfig(up, (raw) => {
        (raw.agents as unknown[]).push({
          id: 'jwt-agent',
          auth: { method: 'private_key_jwt', jwks: key.jwks },
          taskScopes: ['tickets:read'],
        });
      }),
    );
    try {
      const other = (await generateKeyPair('ES256')).privateKey;
      const base = {
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: await up.userToken(),
        subject_token_type: TOKEN_TYPE_ACCESS,
        audience: ISSUER,
      };
      const known = await postForm(`${b.url}/token`, {
        ...base,
        ...assertionForm(await clientAssertion(other, 'jwt-agent')),
      });
      const unknown = await postForm(`${b.url}/token`, {
        ...base,
        ...assertionForm(await clientAssertion(other, 'no-such-agent')),
      });
      expect(known.status).toBe(401);
      expect(known.body).toEqual(unknown.body);
    } finally {
      await b.close();
    }
  });

  test("completing someone else's task is 403 without naming the owner", async () => {
    const up = await makeUpstream();
    const b = await startBaton(testConfig(up));
    try {
      const task = await startTaskToken(b.url, up);
      const txn = JSON.parse(Buffer.from(task.split('.')[1]!, 'base64url').toString())
        .txn as string;
      const r = await postJson(
        `${b.url}/tasks/${txn}/complete`,
        { outcome: 'succeeded' },
        { authorization: basic('isolated-agent', SECRETS['isolated-agent']) },
      );
      expect(r.status).toBe(403);
      expect(JSON.stringify(r.body)).not.toContain('support-agent');
    } finally {
      await b.close();
    }
  });

  test('a poll with a mismatched binding does not push the real requester into slow_down', async () => {
    const up = await makeUpstream();
    const b = await startBaton(
      testConfig(up, (raw) => {
        const support = (raw.agents as { id: string; tools: Record<string, unknown> }[]).find(
          (a) => a.id === 'support-agent',
        )!;
        support.tools[TICKETS] = {
          scopes: ['tickets:read', 'tickets:write'],
          requireApproval: true,
        };
        raw.approvals = { intervalSeconds: 1, ttlSeconds: 60 };
      }),
    );
    try {
      const task = await startTaskToken(b.url, up);
      const first = await exchange(b.url, 'support-agent', {
        subject_token: task,
        resource: TICKETS,
        scope: 'tickets:read',
      });
      const id = first.body.approval_id as string;
      await new Promise((r) => setTimeout(r, 1100));
      // Another call (other scope) holding the id: refused, and it must not count as a poll.
      expect(
        (
          await exchange(b.url, 'support-agent', {
            subject_token: task,
            resource: TICKETS,
            scope: 'tickets:write',
            approval_id: id,
          })
        ).body.error,
      ).toBe('invalid_request');
      expect(
        (
          await exchange(b.url, 'support-agent', {
            subject_token: task,
            resource: TICKETS,
            scope: 'tickets:read',
            approval_id: id,
          })
        ).body.error,
      ).toBe('authorization_pending');
    } finally {
      await b.close();
    }
  });

  test('the SSE feed ends when the instance loses its own subscription, so followers reconnect and catch up', async () => {
    const up = await makeUpstream();
    const b = await startBaton(
      testConfig(up, (raw) => (raw.admin = { keyHashes: [hashSecret(ADMIN_KEY)] })),
    );
    try {
      const feed = await FeedReader.open(`${b.url}/revocations?after=0`, {
        authorization: basic('tickets-rs', SECRETS['tickets-rs']),
      });
      await feed.opened;
      // The catch-up from 0 starts with the policy version Baton published at start.
      expect((await feed.next(3000))?.event).toBe('policy');
      // What the store subscription reports when its connection drops.
      (
        b.baton.ctx.feed as unknown as { events: { emit(e: string, v: boolean): void } }
      ).events.emit('state', false);
      expect(await feed.next(3000)).toBeUndefined();
      // Ended by the server (not merely quiet): the follower will reconnect with its cursor.
      expect(feed.isEnded).toBe(true);
      feed.close();
    } finally {
      await b.close();
    }
  });
});

describe('actor tokens from upstream issuers', () => {
  test('an issuer not configured to vouch for agents cannot name one: its token is refused as actor_token (invalid_request)', async () => {
    const up = await makeUpstream();
    const b = await startBaton(
      testConfig(up, (raw) => {
        (raw.trustedIssuers as Record<string, unknown>[])[0]!.actorTokens = false;
      }),
    );
    try {
      // A user of the IdP whose sub happens to equal an agent id.
      const lookalike = await up.userToken({ sub: 'billing-agent' });
      const r = await exchange(b.url, 'orchestrator', {
        subject_token: await up.userToken(),
        audience: ISSUER,
        actor_token: lookalike,
        actor_token_type: TOKEN_TYPE_ACCESS,
      });
      expect(r.body.error).toBe('invalid_request');
      expect(String(r.body.error_description)).toContain('actorTokens');
    } finally {
      await b.close();
    }
  });
});
