import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  AccessDenied,
  AuthorizationPending,
  BatonError,
  ExpiredToken,
  InvalidAuthorizationDetails,
  InvalidClient,
  InvalidDpopProof,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  InvalidToken,
  MethodNotAllowed,
  NotFound,
  PayloadTooLarge,
  ServerError,
  SlowDown,
  TemporarilyUnavailable,
  UnauthorizedClient,
  UnsupportedGrantType,
  UseDpopNonce,
} from '../../src/errors.js';
import { sendError } from '../../src/http/errors.js';
import { ERROR_CODES } from '../../src/protocol/errors.js';

/** Every class of one RFC code: [class, code, HTTP status]. */
const CLASSES = [
  [InvalidRequest, 'invalid_request', 400],
  [InvalidClient, 'invalid_client', 401],
  [UnauthorizedClient, 'unauthorized_client', 400],
  [UnsupportedGrantType, 'unsupported_grant_type', 400],
  [InvalidScope, 'invalid_scope', 400],
  [InvalidTarget, 'invalid_target', 400],
  [InvalidAuthorizationDetails, 'invalid_authorization_details', 400],
  [AccessDenied, 'access_denied', 400],
  [AuthorizationPending, 'authorization_pending', 400],
  [SlowDown, 'slow_down', 400],
  [ExpiredToken, 'expired_token', 400],
  [InvalidToken, 'invalid_token', 401],
  [TemporarilyUnavailable, 'temporarily_unavailable', 503],
  [ServerError, 'server_error', 500],
  [NotFound, 'not_found', 404],
  [MethodNotAllowed, 'method_not_allowed', 405],
  [InvalidDpopProof, 'invalid_dpop_proof', 400],
  [UseDpopNonce, 'use_dpop_nonce', 400],
] as const;

describe('error classes', () => {
  test.each(CLASSES)('%p has its code, status and name', (Cls, code, status) => {
    const e = new Cls('why');
    expect(Cls.code).toBe(code);
    expect(Cls.status).toBe(status);
    expect({ code: e.code, status: e.status, description: e.description }).toEqual({
      code,
      status,
      description: 'why',
    });
    expect(e.name).toBe(Cls.name);
    expect(e.constructor.name).toBe(Cls.name);
    expect(e.message).toBe(`${code}: why`);
    expect(e).toBeInstanceOf(Cls);
    expect(e).toBeInstanceOf(BatonError);
    expect(e).toBeInstanceOf(Error);
  });

  test('every code Baton sends has exactly one class, and no class sends an unlisted code', () => {
    expect(CLASSES.map(([Cls]) => Cls.code).sort()).toEqual([...ERROR_CODES].sort());
  });

  test('instanceof tells the classes apart, so a catch can branch on one', () => {
    const caught: unknown = new InvalidScope('no');
    expect(caught instanceof InvalidScope).toBe(true);
    expect(caught instanceof InvalidTarget).toBe(false);
    expect(caught instanceof InvalidRequest).toBe(false);
  });

  test('options are applied at construction: debug, headers, extra, rule, status, cause', () => {
    const cause = new Error('underlying');
    const e = new AccessDenied('no', {
      debug: { id: 'a' },
      headers: { 'X-A': '1' },
      extra: { approval_id: 'x' },
      rule: 'agents[a].tools',
      status: 403,
      cause,
    });
    expect({
      status: e.status,
      code: e.code,
      debug: e.debug,
      headers: e.headers,
      extra: e.extra,
      rule: e.rule,
      cause: e.cause,
    }).toEqual({
      status: 403,
      code: 'access_denied',
      debug: { id: 'a' },
      headers: { 'X-A': '1' },
      extra: { approval_id: 'x' },
      rule: 'agents[a].tools',
      cause,
    });
  });

  test('without options nothing extra is carried', () => {
    const e = new InvalidRequest('no');
    expect([e.debug, e.headers, e.extra, e.rule, e.cause]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test('invalid_client names the Basic scheme (RFC 6749 §5.2), and keeps headers it is given', () => {
    expect(new InvalidClient('no').headers).toEqual({ 'WWW-Authenticate': 'Basic realm="baton"' });
    expect(new InvalidClient('no', { headers: { 'X-A': '1' } }).headers).toEqual({
      'WWW-Authenticate': 'Basic realm="baton"',
      'X-A': '1',
    });
  });

  test('invalid_token names the Bearer scheme and the error (RFC 6750 §3)', () => {
    expect(new InvalidToken('no').headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="baton", error="invalid_token"',
    });
  });

  test('a body over the limit is a 413 invalid_request that closes the connection', () => {
    const e = new PayloadTooLarge(16384);
    expect(e).toBeInstanceOf(InvalidRequest);
    expect({ name: e.name, code: e.code, status: e.status, limit: e.limit }).toEqual({
      name: 'PayloadTooLarge',
      code: 'invalid_request',
      status: 413,
      limit: 16384,
    });
    expect(e.description).toBe('request body exceeds 16384 bytes');
    expect(e.headers).toEqual({ Connection: 'close' });
  });
});

describe('http/errors.ts renders an error once', () => {
  let server: Server;
  let url: string;
  let next: unknown;
  const logged: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    }),
  );

  beforeAll(async () => {
    server = createServer((_req, res) => sendError(res, next, log, '/t'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/t`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const answer = async (err: unknown) => {
    next = err;
    logged.length = 0;
    const r = await fetch(url);
    return { status: r.status, headers: r.headers, body: await r.text() };
  };

  test('status, code, description and extra members, with headers and no-store', async () => {
    const r = await answer(
      new AuthorizationPending('wait', {
        extra: { approval_id: 't.1', interval: 5 },
        headers: { 'Retry-After': '5' },
      }),
    );
    expect(r.status).toBe(400);
    expect(r.body).toBe(
      '{"error":"authorization_pending","error_description":"wait","approval_id":"t.1","interval":5}',
    );
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  test("a class's own headers are sent (WWW-Authenticate on invalid_client)", async () => {
    const r = await answer(new InvalidClient('client authentication failed'));
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="baton"');
  });

  test('the status option is what is sent (403 access_denied)', async () => {
    const r = await answer(new AccessDenied('not yours', { status: 403 }));
    expect(r.status).toBe(403);
    expect(r.body).toBe('{"error":"access_denied","error_description":"not yours"}');
  });

  test('debug and cause reach the log, never the body', async () => {
    const r = await answer(
      new TemporarilyUnavailable('try again', {
        debug: { id: 'secret-detail' },
        cause: new Error('connection refused'),
      }),
    );
    expect(r.status).toBe(503);
    expect(r.body).toBe('{"error":"temporarily_unavailable","error_description":"try again"}');
    expect(logged).toEqual([
      expect.objectContaining({
        route: '/t',
        code: 'temporarily_unavailable',
        debug: { id: 'secret-detail' },
        cause: { name: 'Error', message: 'connection refused' },
      }),
    ]);
  });

  test('an unexpected error is a bare 500 server_error, its message only logged', async () => {
    const r = await answer(new TypeError('x is undefined'));
    expect(r.status).toBe(500);
    expect(r.body).toBe('{"error":"server_error","error_description":"internal error"}');
    expect(r.headers.get('www-authenticate')).toBeNull();
    expect(logged).toEqual([
      expect.objectContaining({
        msg: 'unexpected error',
        err: expect.objectContaining({ name: 'TypeError', message: 'x is undefined' }),
      }),
    ]);
  });
});
