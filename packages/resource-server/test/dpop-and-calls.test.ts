import express from 'express';
import type { AddressInfo } from 'node:net';
import {
  assertToolCall,
  type BatonVerifier,
  dpopNonces,
  protectedResourceMetadata,
  withBaton,
} from '../src/index.js';
import { batonExpress } from '../src/adapters/express.js';
import {
  dpopExchange,
  dpopKey,
  exchangeOk,
  ISSUER,
  startTaskToken,
  startTestBaton,
  TICKETS,
  type RunningBaton,
  type Upstream,
} from '../../../test/support/index.js';
import { bearer, dpopReq, TOOL_URL, ticketsVerifier, verdict } from './helpers.js';

/** RFC 9449 §7 at the tool, the bound tool call, the Express and fetch forms, RFC 9728. */
describe('DPoP-bound tokens, bound calls, adapters', () => {
  let upstream: Upstream;
  let b: RunningBaton;
  let url: string;
  let v: BatonVerifier;

  beforeAll(async () => {
    ({ upstream, b, url } = await startTestBaton((raw) => {
      const tools = raw.tools as { resource: string; actions?: string[] }[];
      tools[0]!.actions = ['close_ticket', 'list_tickets'];
    }));
    v = ticketsVerifier(url);
    await v.ready();
  });
  afterAll(async () => {
    await v.close();
    await b.close();
  });

  async function boundToolToken() {
    const key = await dpopKey();
    const start = await dpopExchange(
      url,
      'support-agent',
      { subject_token: await upstream.userToken(), audience: ISSUER },
      await key.proof('POST', `${ISSUER}/token`),
    );
    const tool = await dpopExchange(
      url,
      'support-agent',
      {
        subject_token: start.body.access_token as string,
        resource: TICKETS,
        scope: 'tickets:read',
      },
      await key.proof('POST', `${ISSUER}/token`),
    );
    expect(tool.body.token_type).toBe('DPoP');
    return { key, token: tool.body.access_token as string };
  }

  const callToken = async (args: Record<string, unknown>, action = 'close_ticket') => {
    const task = await startTaskToken(url, upstream);
    return (
      await exchangeOk(url, 'support-agent', {
        subject_token: task,
        resource: TICKETS,
        scope: 'tickets:write',
        authorization_details: JSON.stringify([
          { type: 'tool_call', tool: TICKETS, action, arguments: args },
        ]),
      })
    ).token;
  };

  test('a bound token with a proof by its key is accepted (tokenType DPoP, cnf)', async () => {
    const { key, token } = await boundToolToken();
    const p = await v.verify(await dpopReq(key, token));
    expect(p).toMatchObject({ tokenType: 'DPoP', cnf: { jkt: key.jkt } });
  });

  test('theft: the bound token as Bearer, or with a proof by another key, is refused', async () => {
    const { token } = await boundToolToken();
    const e = await v.verify(bearer(token)).catch((x) => x);
    expect([e.status, e.code]).toEqual([401, 'invalid_token']);
    const thief = await dpopKey();
    const t = await v.verify(await dpopReq(thief, token)).catch((x) => x);
    expect([t.status, t.code]).toEqual([401, 'invalid_dpop_proof']);
    expect(t.headers['WWW-Authenticate']).toMatch(
      /^Bearer resource_metadata="[^"]+", DPoP error="invalid_dpop_proof", error_description="[^"]*cnf\.jkt[^"]*", resource_metadata="[^"]+", algs="ES256 /,
    );
  });

  test('each §4.3 rule at the tool: no proof, replay, htm, htu, ath', async () => {
    const { key, token } = await boundToolToken();
    const noProof = { method: 'GET', url: TOOL_URL, headers: { authorization: `DPoP ${token}` } };
    expect(await verdict(v, noProof)).toBe('invalid_dpop_proof');
    const once = await dpopReq(key, token);
    expect(await verdict(v, once)).toBe('ok');
    expect(await verdict(v, once)).toBe('invalid_dpop_proof');
    const post = await dpopReq(key, token);
    expect(await verdict(v, { ...post, method: 'POST' })).toBe('invalid_dpop_proof');
    expect(
      await verdict(v, { ...(await dpopReq(key, token)), url: 'https://tools.test/other' }),
    ).toBe('invalid_dpop_proof');
    // The query is not part of htu (§4.3 rule 9).
    expect(await verdict(v, { ...(await dpopReq(key, token)), url: `${TOOL_URL}?page=2` })).toBe(
      'ok',
    );
    const noAth = {
      method: 'GET',
      url: TOOL_URL,
      headers: { authorization: `DPoP ${token}`, dpop: await key.proof('GET', TOOL_URL) },
    };
    expect(await verdict(v, noAth)).toBe('invalid_dpop_proof');
  });

  test('an unbound token sent as DPoP is refused; dpop "required" refuses bearer tokens', async () => {
    const task = await startTaskToken(url, upstream);
    const plain = (
      await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS })
    ).token;
    const e = await v
      .verify({ ...bearer(plain), headers: { authorization: `DPoP ${plain}` } })
      .catch((x) => x);
    expect(e.code).toBe('invalid_token');
    const strict = ticketsVerifier(url, { mode: 'introspection', dpop: 'required' });
    try {
      const r = await strict.verify(bearer(plain)).catch((x) => x);
      expect(r.code).toBe('invalid_token');
      expect(r.headers['WWW-Authenticate']).toMatch(/^DPoP error="invalid_token"/);
      const { key, token } = await boundToolToken();
      expect(await verdict(strict, await dpopReq(key, token))).toBe('ok');
    } finally {
      await strict.close();
    }
  });

  test('nonces: a proof without the tool nonce gets use_dpop_nonce and a DPoP-Nonce', async () => {
    const nonces = dpopNonces('a-nonce-secret-of-at-least-32-characters!');
    const nv = ticketsVerifier(url, { mode: 'introspection', dpopNonces: nonces });
    try {
      const { key, token } = await boundToolToken();
      const e = await nv.verify(await dpopReq(key, token)).catch((x) => x);
      expect([e.code, e.headers['DPoP-Nonce']]).toEqual(['use_dpop_nonce', nonces.current()]);
      const withNonce = {
        method: 'GET',
        url: TOOL_URL,
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await key.proof('GET', TOOL_URL, {
            accessToken: token,
            nonce: e.headers['DPoP-Nonce'],
          }),
        },
      };
      expect(await verdict(nv, withNonce)).toBe('ok');
    } finally {
      await nv.close();
    }
  });

  test('the bound call: other action and other arguments refused, reordered keys accepted', async () => {
    const token = await callToken({ id: 't-1', note: { a: 1, b: 2 } });
    const p = await v.verify(bearer(token));
    expect(p.toolCall).toMatchObject({ action: 'close_ticket', arguments: { id: 't-1' } });
    expect(() =>
      assertToolCall(p, { action: 'close_ticket', arguments: { note: { b: 2, a: 1 }, id: 't-1' } }),
    ).not.toThrow();
    expect(() =>
      assertToolCall(p, { action: 'close_ticket', arguments: { id: 't-2', note: { a: 1, b: 2 } } }),
    ).toThrow(expect.objectContaining({ status: 403, reason: 'arguments' }));
    expect(() => assertToolCall(p, { action: 'list_tickets' })).toThrow(
      expect.objectContaining({ status: 403, reason: 'action', code: 'insufficient_scope' }),
    );
    const task = await startTaskToken(url, upstream);
    const unbound = await v.verify(
      bearer(
        (await exchangeOk(url, 'support-agent', { subject_token: task, resource: TICKETS })).token,
      ),
    );
    expect(() => assertToolCall(unbound, { action: 'list_tickets' })).not.toThrow();
    expect(() =>
      assertToolCall(unbound, { action: 'list_tickets' }, { requireBound: true }),
    ).toThrow(expect.objectContaining({ reason: 'unbound' }));
  });

  test('Express: requireBaton with a route → call mapping, and RFC 9728 metadata', async () => {
    const baton = batonExpress({ verifier: v });
    const app = express();
    app.use(express.json());
    app.use(baton.metadata());
    app.post(
      '/tickets/:id/close',
      baton.requireBaton({
        scope: 'tickets:write',
        toolCall: {
          action: 'close_ticket',
          arguments: (req) => ({ id: req.params.id, ...req.body }),
        },
      }),
      (req, res) => {
        res.json({ closed: req.params.id, by: req.baton?.actors[0] });
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const token = await callToken({ id: 't-1', note: 'done' });
      const call = (id: string, body: unknown) =>
        fetch(`${base}/tickets/${id}/close`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const ok = await call('t-1', { note: 'done' });
      expect([ok.status, await ok.json()]).toEqual([200, { closed: 't-1', by: 'support-agent' }]);
      const other = await call('t-2', { note: 'done' });
      expect(other.status).toBe(403);
      expect(await other.json()).toMatchObject({ error: 'insufficient_scope' });
      expect(other.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/);
      const none = await fetch(`${base}/tickets/t-1/close`, { method: 'POST' });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/resource_metadata=/);
      for (const path of [
        '/.well-known/oauth-protected-resource/tickets',
        '/.well-known/oauth-protected-resource',
      ]) {
        const m = await fetch(`${base}${path}`);
        expect(await m.json()).toEqual({
          resource: TICKETS,
          authorization_servers: [ISSUER],
          bearer_methods_supported: ['header'],
          dpop_signing_alg_values_supported: [
            'ES256',
            'ES384',
            'EdDSA',
            'Ed25519',
            'PS256',
            'RS256',
          ],
          dpop_bound_access_tokens_required: false,
        });
      }
    } finally {
      server.close();
    }
  });

  test('a bound token runs only where its call is declared: another route refuses it (fail closed)', async () => {
    const baton = batonExpress({ verifier: v });
    const app = express();
    app.use(express.json());
    app.post('/notes', baton.requireBaton({ scope: 'tickets:write' }), (_req, res) => {
      res.json({ noted: true });
    });
    app.post(
      '/checked',
      baton.requireBaton({ scope: 'tickets:write', handlerChecksCall: true }),
      (_req, res) => {
        res.json({ handler: 'checks' });
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const token = await callToken({ id: 't-1' });
      const post = (path: string) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{}',
        });
      const undeclared = await post('/notes');
      expect(undeclared.status).toBe(403);
      expect(await undeclared.json()).toMatchObject({
        error: 'insufficient_scope',
        error_description:
          'the token is bound to one call (tool_call close_ticket); this route declares no call',
      });
      expect((await post('/checked')).status).toBe(200);
      // The fetch form follows the same rule.
      const handler = withBaton(v, { scope: 'tickets:write' }, () => Response.json({}));
      const r = await handler(
        new Request(TOOL_URL, { method: 'POST', headers: { authorization: `Bearer ${token}` } }),
      );
      expect(r.status).toBe(403);
    } finally {
      server.close();
    }
  });

  test('Express: a refusal naming a non-ASCII action is answered (the challenge stays a valid header)', async () => {
    // The action comes from the request (an MCP-style body): a refusal echoes it into
    // WWW-Authenticate, where a character outside Latin-1 made setHeader throw, unanswered.
    const baton = batonExpress({ verifier: v });
    const app = express();
    app.use(express.json());
    app.post(
      '/call',
      baton.requireBaton({ toolCall: { action: (req) => String(req.body.tool) } }),
      (_req, res) => {
        res.json({ ran: true });
      },
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const token = await callToken({ id: 't-1' });
      const r = await fetch(`${base}/call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tool: 'close\u20ac\u2028ticket' }),
      });
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({ error: 'insufficient_scope' });
      const challenge = r.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer error="insufficient_scope"/);
      expect(challenge).toMatch(/^[\x20-\x7e]*$/);
    } finally {
      server.close();
    }
  });

  test('fetch form: withBaton answers refusals as Responses and runs the handler otherwise', async () => {
    const handler = withBaton(v, { scope: 'tickets:read' }, (_req, p) =>
      Response.json({ sub: p.sub }),
    );
    const task = await startTaskToken(url, upstream);
    const token = (
      await exchangeOk(url, 'support-agent', {
        subject_token: task,
        resource: TICKETS,
        scope: 'tickets:read',
      })
    ).token;
    const ok = await handler(
      new Request(TOOL_URL, { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(await ok.json()).toEqual({ sub: 'alice@example.com' });
    const no = await handler(new Request(TOOL_URL));
    expect(no.status).toBe(401);
    const strict = ticketsVerifier(url, { mode: 'introspection', dpop: 'required' });
    expect(protectedResourceMetadata(strict)).toMatchObject({
      dpop_bound_access_tokens_required: true,
    });
    await strict.close();
  });
});
