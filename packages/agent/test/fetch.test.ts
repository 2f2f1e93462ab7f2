/**
 * task.fetch attaches the task's token only where it belongs: a known tool's resource
 * (RFC 3986-normalised), never an unknown URL, never a cross-origin redirect, never a server
 * whose RFC 9728 metadata claims another tool's resource; a 403 challenge is answered once.
 */
import { TICKETS } from '../../../test/support/index.js';
import { BatonError, InsufficientScopeError, type Task } from '../src/index.js';
import { EVIL_ORIGIN, type LiveBaton, liveBaton, TOOLS_ORIGIN } from './live-baton.js';

describe.each([false, true])('task.fetch (DPoP %s)', (dpop) => {
  let live: LiveBaton;
  let task: Task;
  beforeAll(async () => {
    live = await liveBaton('memory');
    const agent = await live.agent('support-agent', { dpop, resources: [TICKETS] });
    task = await agent.startTask(await live.up.userToken());
  });
  afterAll(() => live.close());
  beforeEach(() => {
    live.tools.seen.length = 0;
    live.evil.seen.length = 0;
  });

  test('sends the token to a URL under a known resource, in any RFC 3986 spelling', async () => {
    const r = await task.fetch('HTTPS://Tools.Test:443/tickets/t-1?x=1');
    expect(r.status).toBe(200);
    const seen = live.tools.seen[0]!;
    expect(seen.authorization).toMatch(dpop ? /^DPoP ey/ : /^Bearer ey/);
    expect(seen.dpop !== undefined).toBe(dpop);
  });

  test('sends nothing to an unknown URL, the same origin outside the resource included', async () => {
    await task.fetch(`${TOOLS_ORIGIN}/ticketsX/1`);
    await task.fetch(`${TOOLS_ORIGIN}/other`);
    await task.fetch(`${EVIL_ORIGIN}/tickets`);
    expect(live.tools.seen.map((s) => s.authorization)).toEqual([undefined, undefined]);
    expect(live.evil.seen.map((s) => s.authorization)).toEqual([undefined]);
  });

  test('hands back a cross-origin redirect unfollowed: the other origin gets nothing', async () => {
    const r = await task.fetch(`${TOOLS_ORIGIN}/tickets/redirect-out`);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`${EVIL_ORIGIN}/steal`);
    expect(live.evil.seen).toEqual([]);
  });

  test('follows a same-origin redirect inside the resource, with the token', async () => {
    const r = await task.fetch(`${TOOLS_ORIGIN}/tickets/redirect-in`);
    expect(r.status).toBe(200);
    expect(live.tools.seen.map((s) => s.path)).toEqual(['/tickets/redirect-in', '/tickets/t-9']);
    expect(live.tools.seen[1]!.authorization).toBeDefined();
  });

  test('a server whose RFC 9728 metadata claims another tool resource is refused and gets nothing', async () => {
    const agent = await live.agent('support-agent', { dpop });
    const e = await agent.learnResource(`${EVIL_ORIGIN}/tickets`).catch((x: unknown) => x);
    expect((e as BatonError).code).toBe('invalid_target');
    expect((e as BatonError).description).toMatch(/RFC 9728 §3\.3/);
    const t = await agent.startTask(await live.up.userToken());
    live.evil.seen.length = 0;
    await t.fetch(`${EVIL_ORIGIN}/tickets/1`);
    expect(live.evil.seen.map((s) => s.authorization)).toEqual([undefined]);
  });

  test('on 403 insufficient_scope asks once for the scope the tool names, then succeeds', async () => {
    const r = await task.fetch(`${TOOLS_ORIGIN}/tickets/write`, { scope: ['tickets:read'] });
    expect(r.status).toBe(200);
    expect(live.tools.seen).toHaveLength(2);
    expect(live.tools.seen[0]!.authorization).not.toBe(live.tools.seen[1]!.authorization);
  });

  test('a scope the task cannot get is a clear error naming it', async () => {
    const e = await task.fetch(`${TOOLS_ORIGIN}/tickets/admin`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InsufficientScopeError);
    expect((e as InsufficientScopeError).missingScope).toEqual(['tickets:admin']);
    expect((e as BatonError).description).toMatch(/tickets:admin/);
  });
});

describe('token caching', () => {
  let live: LiveBaton;
  beforeAll(async () => {
    live = await liveBaton('redis');
  });
  afterAll(() => live.close());

  test('concurrent asks make one exchange; later asks reuse the token until near expiry', async () => {
    const agent = await live.agent('support-agent');
    const task = await agent.startTask(await live.up.userToken());
    const tokens = await Promise.all(
      Array.from({ length: 8 }, () => task.tokenFor(TICKETS, { scope: ['tickets:read'] })),
    );
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect((await task.tokenFor(TICKETS, { scope: ['tickets:read'] })).token).toBe(
      tokens[0]!.token,
    );
    // Another scope is another token.
    const other = await task.tokenFor(TICKETS, { scope: ['tickets:write'] });
    expect(other.token).not.toBe(tokens[0]!.token);
  });

  test('a token for one tool_call is never cached, and large arguments go by digest', async () => {
    const agent = await live.agent('support-agent', { maxArgumentsBytes: 32 });
    const task = await agent.startTask(await live.up.userToken());
    const call = { action: 'close_ticket', arguments: { id: 't-1' } };
    const a = await task.tokenFor(TICKETS, { toolCall: call });
    const b = await task.tokenFor(TICKETS, { toolCall: call });
    expect(a.token).not.toBe(b.token);
    expect(a.authorizationDetails).toEqual([{ type: 'tool_call', tool: TICKETS, ...call }]);
    const big = await task.tokenFor(TICKETS, {
      toolCall: { action: 'comment', arguments: { text: 'x'.repeat(100) } },
    });
    const detail = (big.authorizationDetails as Record<string, unknown>[])[0]!;
    expect(detail.arguments).toBeUndefined();
    expect(detail.arguments_sha256).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('a Baton refusal is a BatonError with the RFC code, Baton description and status', async () => {
    const agent = await live.agent('support-agent');
    const e = await agent.startTask('not-a-jwt').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BatonError);
    expect(e).toMatchObject({ code: 'invalid_request', status: 400 });
    expect((e as BatonError).description.length).toBeGreaterThan(0);
    const wrong = await live.agent('support-agent', { auth: { secret: 'wrong-secret' } });
    const e2 = await wrong.startTask(await live.up.userToken()).catch((x: unknown) => x);
    expect(e2).toMatchObject({ code: 'invalid_client', status: 401 });
  });
});
