/**
 * Rate limits (docs/configuration.md#rate-limits) over real HTTP on the memory store: 429
 * `temporarily_unavailable` with Retry-After once a client's budget is spent, failure budgets
 * per source address and per client id that never spend a victim's budget, and the counter in
 * /metrics.
 */
import { type RunningBaton, startBaton, testConfig, makeUpstream } from '../support/fixtures.js';
import { auth, cheapToken, send } from './requests.js';

type Raw = Record<string, unknown>;

async function batonWith(rateLimits: Raw, patch: (raw: Raw) => void = () => {}) {
  const upstream = await makeUpstream();
  return startBaton(
    testConfig(upstream, (raw) => {
      raw.rateLimits = rateLimits;
      patch(raw);
    }),
  );
}

const running: RunningBaton[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.close()));
});
const start = async (rateLimits: Raw, patch?: (raw: Raw) => void) => {
  const b = await batonWith(rateLimits, patch);
  running.push(b);
  return b.url;
};

describe('a client over its budget', () => {
  test('answers 429 temporarily_unavailable with Retry-After and a description (never slow_down)', async () => {
    const url = await start({ agent: { requests: 3, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) expect((await cheapToken(url, 'support-agent')).status).toBe(400);
    const r = await cheapToken(url, 'support-agent');
    expect(r.status).toBe(429);
    const retry = Number(r.headers['retry-after']);
    expect(Number.isInteger(retry) && retry >= 1 && retry <= 60).toBe(true);
    expect(r.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: `rate limit exceeded for this client; retry after ${retry} s`,
    });
    expect(r.headers['cache-control']).toBe('no-store');
  });

  test('the budget is per client: another agent is still served', async () => {
    const url = await start({ agent: { requests: 1, windowSeconds: 60 } });
    await cheapToken(url, 'support-agent');
    expect((await cheapToken(url, 'support-agent')).status).toBe(429);
    expect((await cheapToken(url, 'isolated-agent')).status).toBe(400);
  });

  test('an agent`s own rateLimit overrides its kind`s budget', async () => {
    const url = await start({ agent: { requests: 1, windowSeconds: 60 } }, (raw) => {
      (raw.agents as Raw[])[0]!.rateLimit = { requests: 3 };
    });
    for (let i = 0; i < 3; i++) expect((await cheapToken(url, 'support-agent')).status).toBe(400);
    expect((await cheapToken(url, 'support-agent')).status).toBe(429);
  });

  test('one budget spans /token, /introspect, /revoke and task completion; resource servers have theirs', async () => {
    const url = await start({
      agent: { requests: 3, windowSeconds: 60 },
      resourceServer: { requests: 2, windowSeconds: 60 },
    });
    const agent = auth('support-agent');
    expect((await cheapToken(url, 'support-agent')).status).toBe(400);
    expect((await send(url, '/revoke', { headers: agent, form: { token: 'x' } })).status).toBe(200);
    const done = { headers: agent, json: { outcome: 'succeeded' } };
    expect((await send(url, '/tasks/no-such-task/complete', done)).status).not.toBe(429);
    expect((await send(url, '/tasks/no-such-task/complete', done)).status).toBe(429);
    expect((await send(url, '/revoke', { headers: agent, form: { token: 'x' } })).status).toBe(429);
    const rs = { headers: auth('tickets-rs'), form: { token: 'x' } };
    expect((await send(url, '/introspect', rs)).status).toBe(200);
    expect((await send(url, '/introspect', rs)).status).toBe(200);
    const over = await send(url, '/introspect', rs);
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('temporarily_unavailable');
  });

  test('feed connection attempts have a budget of their own per resource server', async () => {
    const url = await start({ feedConnections: { requests: 2, windowSeconds: 60 } });
    const feed = () => send(url, '/revocations', { method: 'GET', headers: auth('tickets-rs') });
    expect((await feed()).status).toBe(200);
    expect((await feed()).status).toBe(200);
    const r = await feed();
    expect(r.status).toBe(429);
    expect(r.body.error_description).toMatch(
      /^too many feed connection attempts from this client; retry after \d+ s$/,
    );
    // Introspection is not spent by feed connections.
    expect(
      (await send(url, '/introspect', { headers: auth('tickets-rs'), form: { token: 'x' } }))
        .status,
    ).toBe(200);
  });

  test('rateLimits.enabled false turns every limit off', async () => {
    const url = await start({ enabled: false, agent: { requests: 1 } });
    for (let i = 0; i < 5; i++) expect((await cheapToken(url, 'support-agent')).status).toBe(400);
  });

  test('/metrics counts refusals by route, client kind and limit (no client ids)', async () => {
    const url = await start({ agent: { requests: 1, windowSeconds: 60 } });
    await cheapToken(url, 'support-agent');
    await cheapToken(url, 'support-agent');
    await cheapToken(url, 'support-agent');
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain(
      'baton_rate_limited_total{route="/token",kind="agent",limit="client"} 2',
    );
    expect(text).not.toMatch(/baton_rate_limited_total\{[^}]*support-agent/);
  });
});

describe('failed authentications', () => {
  const limits = {
    agent: { requests: 5, windowSeconds: 60 },
    authFailures: {
      perAddress: { requests: 3, windowSeconds: 60 },
      perClient: { requests: 6, windowSeconds: 60 },
    },
  };

  test('do not spend the victim`s budget: it keeps all of it while an attacker sends wrong secrets', async () => {
    const url = await start(limits);
    for (let i = 0; i < 3; i++)
      expect((await cheapToken(url, 'support-agent', '127.0.0.2', 'wrong')).status).toBe(401);
    // The victim, elsewhere, still has its whole budget of 5.
    for (let i = 0; i < 5; i++) expect((await cheapToken(url, 'support-agent')).status).toBe(400);
    expect((await cheapToken(url, 'support-agent')).status).toBe(429);
  });

  test('an address over its failure budget is refused before its credentials are checked', async () => {
    const url = await start(limits);
    for (let i = 0; i < 3; i++)
      expect((await cheapToken(url, 'support-agent', '127.0.0.2', 'wrong')).status).toBe(401);
    const r = await cheapToken(url, 'support-agent', '127.0.0.2', 'wrong');
    expect(r.status).toBe(429);
    expect(r.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: `too many failed authentications from this address; retry after ${r.headers['retry-after']} s`,
    });
    // Even right credentials from that address wait: the address is what is limited.
    expect((await cheapToken(url, 'isolated-agent', '127.0.0.2')).status).toBe(429);
    // The victim on its own address is served, and so are unknown ids on other addresses.
    expect((await cheapToken(url, 'support-agent')).status).toBe(400);
  });

  test('a client id over its failure budget refuses the guesses (429) but never locks the real client out', async () => {
    const url = await start(limits);
    // Two failures from each of three addresses: under every address budget, at the id's.
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4'])
      for (let i = 0; i < 2; i++)
        expect((await cheapToken(url, 'support-agent', from, 'wrong')).status).toBe(401);
    const guess = await cheapToken(url, 'support-agent', '127.0.0.5', 'wrong');
    expect(guess.status).toBe(429);
    expect(guess.body.error_description).toMatch(
      /^too many failed authentications for this client id; retry after \d+ s$/,
    );
    expect((await cheapToken(url, 'support-agent', '127.0.0.6')).status).toBe(400);
    expect((await cheapToken(url, 'support-agent')).status).toBe(400);
  });

  test('failed feed authentications spend the address`s failure budget too', async () => {
    const url = await start(limits);
    const feed = (secret: string) =>
      send(url, '/revocations', {
        method: 'GET',
        from: '127.0.0.2',
        headers: auth('tickets-rs', secret),
      });
    for (let i = 0; i < 3; i++) expect((await feed('wrong')).status).toBe(401);
    expect((await feed('wrong')).status).toBe(429);
  });
});
