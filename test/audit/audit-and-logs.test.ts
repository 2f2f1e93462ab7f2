import { Writable } from 'node:stream';
import { pino } from 'pino';
import { bootBaton } from '../../src/boot.js';
import {
  ADMIN_KEY,
  BILLING,
  ISSUER,
  SECRETS,
  TICKETS,
  assertionForm,
  basic,
  claimsOf,
  clientAssertion,
  exchange,
  introspectAs,
  makeClientKey,
  makeUpstream,
  postForm,
  postJson,
  testConfig,
  testKeys,
  type Upstream,
} from '../support/fixtures.js';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS } from '../../src/tokens/claims.js';

/**
 * The audit trail reads back as one story per task, and no token, secret or client assertion
 * ever reaches an audit event or a log line: every line logged and every event stored during a
 * full run (successes, refusals, approvals, revocations, bad input) is scanned for them.
 */
describe('audit trail and log hygiene', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const secretsSeen = new Set<string>(Object.values(SECRETS));
  let up: Upstream;
  let baton: Awaited<ReturnType<typeof bootBaton>>;
  let url: string;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  const keep = (t: string) => {
    secretsSeen.add(t);
    return t;
  };

  beforeAll(async () => {
    up = await makeUpstream();
    secretsSeen.add(ADMIN_KEY);
    const key = await makeClientKey();
    const config = testConfig(up, (raw) => {
      (raw.agents as unknown[]).push({
        id: 'jwt-agent',
        auth: { method: 'private_key_jwt', jwks: key.jwks },
        taskScopes: ['tickets:read'],
        tools: { [TICKETS]: { scopes: ['tickets:read'] } },
      });
      raw.logLevel = 'trace';
      raw.approvals = { intervalSeconds: 1, ttlSeconds: 60 };
      const support = (raw.agents as { id: string; tools: Record<string, unknown> }[]).find(
        (a) => a.id === 'support-agent',
      )!;
      support.tools['https://tools.test/tickets'] = { scopes: ['tickets:read', 'tickets:write'] };
    });
    baton = await bootBaton(config, {
      keys: await testKeys(config),
      log: pino({ level: 'trace' }, sink),
    });
    url = await baton.listen(0, '127.0.0.1');
    (globalThis as Record<string, unknown>).__key = key;
  });
  afterAll(() => baton.close());

  test('the story reads back in order: intent, each delegated action, the outcome, with their actor chains', async () => {
    const user = keep(await up.userToken());
    const start = await exchange(url, 'support-agent', {
      subject_token: user,
      audience: ISSUER,
      purpose: 'refund order 1234',
    });
    const task = keep(start.body.access_token as string);
    const txn = claimsOf(task).txn;
    keep(
      (
        await exchange(url, 'support-agent', {
          subject_token: task,
          resource: TICKETS,
          scope: 'tickets:read',
        })
      ).body.access_token as string,
    );
    // A refusal in the middle of the story, with its rule.
    expect(
      (await exchange(url, 'support-agent', { subject_token: task, resource: BILLING })).body.error,
    ).toBe('invalid_target');
    const handed = keep(
      (await exchange(url, 'billing-agent', { subject_token: task, audience: ISSUER })).body
        .access_token as string,
    );
    keep(
      (await exchange(url, 'billing-agent', { subject_token: handed, resource: BILLING })).body
        .access_token as string,
    );
    expect(
      (
        await postJson(
          `${url}/tasks/${txn}/complete`,
          { outcome: 'succeeded', summary: 'refunded' },
          { authorization: basic('support-agent', SECRETS['support-agent']) },
        )
      ).status,
    ).toBe(200);
    await baton.ctx.audit.flush();

    const r = (await (
      await fetch(`${url}/admin/tasks/${txn}/events`, { headers: admin })
    ).json()) as { events: Record<string, unknown>[] };
    const story = r.events.map((e) => [e.type, (e.act as string[] | undefined)?.join('<')]);
    expect(story).toEqual([
      ['task_started', 'support-agent'],
      ['token_issued', 'support-agent'],
      ['exchange_refused', 'support-agent'],
      ['token_issued', 'billing-agent<support-agent'],
      ['token_issued', 'billing-agent<support-agent'],
      ['task_completed', 'support-agent'],
    ]);
    expect(r.events[0]).toMatchObject({
      txn,
      sub: 'alice@example.com',
      detail: { purpose: 'refund order 1234' },
    });
    expect(r.events[1]).toMatchObject({
      detail: { operation: 'tool_token', tool: TICKETS, scope: 'tickets:read' },
    });
    expect(r.events[2]).toMatchObject({
      decision: 'deny',
      error: 'invalid_target',
      rule: 'agents[support-agent].tools',
    });
    expect(r.events[3]).toMatchObject({
      detail: { operation: 'hand_off', from: 'support-agent', to: 'billing-agent', depth: 2 },
    });
    expect(r.events[5]).toMatchObject({
      decision: 'done',
      detail: { outcome: 'succeeded', summary: 'refunded' },
    });
    for (const e of r.events) expect(typeof e.time).toBe('number');
  });

  test('GET /admin/events pages through every event with since/limit and a next cursor', async () => {
    await baton.ctx.audit.flush();
    const all: { id: string }[] = [];
    let since = '';
    for (let page = 0; page < 100; page++) {
      const r = (await (
        await fetch(`${url}/admin/events?limit=2${since ? `&since=${since}` : ''}`, {
          headers: admin,
        })
      ).json()) as { events: { id: string }[]; next: string | null };
      expect(r.events.length).toBeLessThanOrEqual(2);
      all.push(...r.events);
      if (!r.next) break;
      since = r.next;
    }
    const whole = (await (
      await fetch(`${url}/admin/events?limit=1000`, { headers: admin })
    ).json()) as { events: { id: string }[] };
    expect(all.map((e) => e.id)).toEqual(whole.events.map((e) => e.id));
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect((await fetch(`${url}/admin/events?limit=0`, { headers: admin })).status).toBe(400);
    expect((await fetch(`${url}/admin/events`)).status).toBe(401);
  });

  test('no token, secret or client assertion appears in any stored event or log line', async () => {
    // More traffic that carries secrets: assertions, bad secrets, garbage tokens, revocations, approvals.
    const key = (globalThis as Record<string, unknown>).__key as Awaited<
      ReturnType<typeof makeClientKey>
    >;
    const assertion = keep(
      await clientAssertion(key.privateKey, 'jwt-agent', { aud: `${ISSUER}/token` }),
    );
    const user = keep(await up.userToken({ scope: 'tickets:read' }));
    const viaJwt = await postForm(`${url}/token`, {
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: user,
      subject_token_type: TOKEN_TYPE_ACCESS,
      audience: ISSUER,
      ...assertionForm(assertion),
    });
    expect(viaJwt.status).toBe(200);
    keep(viaJwt.body.access_token as string);
    // Replay of the same assertion, a wrong secret, a token pasted where it does not belong.
    await postForm(`${url}/token`, {
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: user,
      subject_token_type: TOKEN_TYPE_ACCESS,
      ...assertionForm(assertion),
    });
    keep('wrong-secret-value-that-must-not-be-logged-0123456789');
    await postForm(
      `${url}/token`,
      {
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: user,
        subject_token_type: TOKEN_TYPE_ACCESS,
      },
      {
        authorization: basic(
          'support-agent',
          'wrong-secret-value-that-must-not-be-logged-0123456789',
        ),
      },
    );
    const task = keep(
      (
        await exchange(url, 'support-agent', {
          subject_token: keep(await up.userToken()),
          audience: ISSUER,
        })
      ).body.access_token as string,
    );
    await exchange(url, 'support-agent', { subject_token: task, resource: TICKETS, scope: task });
    await exchange(url, 'support-agent', { subject_token: task, resource: task });
    await exchange(url, 'support-agent', { subject_token: `${task}x`, audience: ISSUER });
    const tool = keep(
      (await exchange(url, 'support-agent', { subject_token: task, resource: TICKETS })).body
        .access_token as string,
    );
    await introspectAs(url, 'billing-rs', tool);
    await introspectAs(url, 'tickets-rs', `${tool.slice(0, -3)}abc`);
    await postForm(
      `${url}/revoke`,
      { token: tool },
      { authorization: basic('support-agent', SECRETS['support-agent']) },
    );
    await introspectAs(url, 'tickets-rs', tool);
    await postJson(`${url}/admin/tokens/revoke`, { token: task }, admin);
    await baton.ctx.audit.flush();

    const events = [
      ...(await baton.ctx.store.readAudit(undefined, 100_000, 'decisions')),
      ...(await baton.ctx.store.readAudit(undefined, 100_000, 'refusals')),
    ];
    expect(events.length).toBeGreaterThan(10);
    expect(lines.length).toBeGreaterThan(10);
    const haystacks = [...events.map((e) => e.json), ...lines];
    const leaks: string[] = [];
    for (const secret of secretsSeen) {
      // A whole token, and any one of its three parts (the signature alone is a secret of sorts).
      const needles = secret.includes('.')
        ? [secret, ...secret.split('.').filter((p) => p.length > 20)]
        : [secret];
      for (const n of needles)
        for (const h of haystacks)
          if (h.includes(n)) leaks.push(`${n.slice(0, 16)}… in ${h.slice(0, 120)}`);
    }
    // Header and claims segments of JWTs are base64url JSON that can recur across tokens; the
    // signature segment is unique per token, so any leak of a token shows up above.
    expect(leaks).toEqual([]);
  });
});
