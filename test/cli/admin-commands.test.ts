/**
 * The operator's commands against a running Baton (memory and Redis stores), run as a user
 * runs them (a child process, src/cli/baton.ts): `--json` output parsed, human tables read,
 * exit codes checked (docs/cli.md, "Exit codes").
 */
import { hashSecret } from '../../src/auth/secrets.js';
import {
  ADMIN_KEY,
  dropKeysUnder,
  exchange,
  ISSUER,
  introspectAs,
  makeUpstream,
  runBaton,
  startBaton,
  startTaskToken,
  stopAllBatons,
  testConfig,
  testRedisUrl,
  TICKETS,
  uniquePrefix,
  type RunningBaton,
  type Upstream,
} from '../support/index.js';

const VIEWER_KEY = 'cli-viewer-key-0123456789abcdefghijklmnopqrstuvw';

type Store = { kind: 'memory' } | { kind: 'redis'; url: string; prefix: string };
const VARIANTS: { name: string; store: () => Store }[] = [
  { name: 'memory', store: () => ({ kind: 'memory' }) },
  { name: 'Redis', store: () => ({ kind: 'redis', url: testRedisUrl(), prefix: uniquePrefix() }) },
];

afterAll(() => stopAllBatons());

describe.each(VARIANTS)('baton admin commands on the $name store', ({ store }) => {
  let up: Upstream;
  let b: RunningBaton;
  let storeCfg: Store;
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runBaton(args, { ...env, ...extra });
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cli([...args, '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout) as T;
  };

  /** A tool token for the tickets tool, live now (so a revocation can be seen to end it). */
  async function liveToolToken(agent: 'support-agent' | 'billing-agent', sub?: string) {
    const task = await exchange(b.url, agent, {
      subject_token: await up.userToken(sub ? { sub } : {}),
      audience: ISSUER,
    });
    expect(task.status).toBe(200);
    const tool = await exchange(b.url, agent, {
      subject_token: task.body.access_token as string,
      resource: TICKETS,
      scope: 'tickets:read',
    });
    expect(tool.status).toBe(200);
    const token = tool.body.access_token as string;
    expect(await active(token)).toBe(true);
    return token;
  }
  const active = async (token: string) => (await introspectAs(b.url, 'tickets-rs', token)).active;

  beforeAll(async () => {
    up = await makeUpstream();
    storeCfg = store();
    b = await startBaton(
      testConfig(up, (raw) => {
        raw.store = storeCfg;
        raw.admin = {
          keyHashes: [hashSecret(ADMIN_KEY)],
          keys: [{ name: 'vera', keyHash: hashSecret(VIEWER_KEY), role: 'viewer' }],
        };
        const isolated = (raw.agents as { id: string; tools: Record<string, unknown> }[]).find(
          (a) => a.id === 'isolated-agent',
        )!;
        isolated.tools[TICKETS] = { scopes: ['tickets:read'], requireApproval: true };
      }),
    );
    env = { BATON_URL: b.url, BATON_ADMIN_KEY: ADMIN_KEY };
  });
  afterAll(async () => {
    await b.close();
    if (storeCfg.kind === 'redis') await dropKeysUnder({ url: storeCfg.url }, storeCfg.prefix);
  });

  test('tasks list: the task just started, as JSON and as a table; a bad --status is exit 2', async () => {
    const token = await startTaskToken(b.url, up, 'support-agent', { purpose: 'cli list test' });
    const txn = (
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { txn: string }
    ).txn;
    const listed = await json<{ tasks: { txn: string; owner: string; purpose: string }[] }>([
      'tasks',
      'list',
      '--status',
      'open',
    ]);
    expect(listed.tasks.find((t) => t.txn === txn)).toMatchObject({
      owner: 'support-agent',
      purpose: 'cli list test',
    });
    const table = await cli(['tasks', 'list', '--agent', 'support-agent']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^TXN\s+STATUS\s+OWNER\s+ACTOR\s+USER\s+AGE\s+LIVE\s+PURPOSE$/,
    );
    expect(table.stdout).toContain(txn);
    const bad = await cli(['tasks', 'list', '--status', 'opne']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status must be open, completed or revoked');
  });

  test('tasks show and revoke: the tree, then every token of the task inactive; unknown is exit 4', async () => {
    const token = await startTaskToken(b.url, up);
    const tool = await exchange(b.url, 'support-agent', {
      subject_token: token,
      resource: TICKETS,
    });
    expect(tool.status).toBe(200);
    const { txn } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      txn: string;
    };
    const shown = await json<{ task: { txn: string }; tokens: { children: unknown[] }[] }>([
      'tasks',
      'show',
      txn,
    ]);
    expect(shown.task.txn).toBe(txn);
    expect(shown.tokens[0]?.children).toHaveLength(1);
    const human = await cli(['tasks', 'show', txn]);
    expect(human.stdout).toContain(`support-agent → ${TICKETS}`);
    const revoked = await json<{ tokens_ended: number; already_ended: boolean }>([
      'tasks',
      'revoke',
      txn,
    ]);
    expect(revoked).toMatchObject({ tokens_ended: 2, already_ended: false });
    expect(await active(tool.body.access_token as string)).toBe(false);
    const again = await cli(['tasks', 'revoke', txn]);
    expect(again.stdout).toContain('had already ended');
    const missing = await cli(['tasks', 'show', 'no-such-task']);
    expect(missing.code).toBe(4);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('agents list and revoke: counts and the mark; an unknown agent is exit 4 and revokes nothing', async () => {
    const token = await liveToolToken('billing-agent');
    const listed = await json<{ agents: { id: string; tasks_owned: number }[] }>([
      'agents',
      'list',
    ]);
    expect(listed.agents.map((a) => a.id)).toEqual(
      expect.arrayContaining(['support-agent', 'billing-agent', 'isolated-agent', 'orchestrator']),
    );
    expect(listed.agents.find((a) => a.id === 'billing-agent')!.tasks_owned).toBeGreaterThan(0);
    const unknown = await cli(['agents', 'revoke', 'bililng-agent']);
    expect(unknown.code).toBe(4);
    const r = await json<{ id: string; before: number; configured: boolean }>([
      'agents',
      'revoke',
      'billing-agent',
    ]);
    expect(r).toMatchObject({ id: 'billing-agent', configured: true });
    const after = await json<{ agents: { id: string; revoked_before: number | null }[] }>([
      'agents',
      'list',
    ]);
    expect(after.agents.find((a) => a.id === 'billing-agent')!.revoked_before).toBe(r.before);
    expect(await active(token)).toBe(false);
  });

  test("users revoke: the user's tokens end; the sub with @ and / is sent intact", async () => {
    const sub = 'carol/ops@example.com';
    const token = await liveToolToken('support-agent', sub);
    const other = await liveToolToken('support-agent');
    const out = await json<{ revoked: string; id: string }>(['users', 'revoke', sub]);
    expect(out).toMatchObject({ revoked: 'user', id: sub });
    expect(await active(token)).toBe(false);
    expect(await active(other)).toBe(true);
  });

  test('approvals list, approve and deny: the pending calls, decided; deciding twice is exit 2', async () => {
    const ask = async () => {
      const t = await startTaskToken(b.url, up, 'isolated-agent');
      const r = await exchange(b.url, 'isolated-agent', { subject_token: t, resource: TICKETS });
      expect(r.body.error).toBe('authorization_pending');
      return r.body.approval_id as string;
    };
    const [one, two] = [await ask(), await ask()];
    const listed = await json<{ approvals: { id: string; tool: string }[] }>(['approvals', 'list']);
    expect(listed.approvals.map((a) => a.id)).toEqual(expect.arrayContaining([one, two]));
    expect(listed.approvals.find((a) => a.id === one)!.tool).toBe(TICKETS);
    expect(await json(['approvals', 'approve', one, '--reason', 'ticket 42'])).toMatchObject({
      id: one,
      status: 'approved',
    });
    const denied = await cli(['approvals', 'deny', two]);
    expect(denied.stdout.trim()).toBe(`${two}: denied`);
    const twice = await cli(['approvals', 'deny', one]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('invalid_request');
  });

  test('a viewer key may list but not revoke (exit 3); a wrong key is exit 3; no key is exit 2', async () => {
    expect((await cli(['agents', 'list'], { BATON_ADMIN_KEY: VIEWER_KEY })).code).toBe(0);
    const viewer = await cli(['tasks', 'revoke', 'x'], { BATON_ADMIN_KEY: VIEWER_KEY });
    expect(viewer.code).toBe(3);
    const wrong = await cli(['tasks', 'list'], { BATON_ADMIN_KEY: 'not-the-key' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('BATON_ADMIN_KEY');
    expect(wrong.stderr).not.toContain('not-the-key');
    const none = await runBaton(['tasks', 'list'], { BATON_URL: b.url });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('set BATON_ADMIN_KEY');
  });

  test('events tail: a change for a task started while it follows, as a JSON line', async () => {
    // Another listener came and went more than a store budget (1 s) ago: the stream's polling,
    // started in that request, must not carry the request's spent budget into later polls.
    const ctl = new AbortController();
    const first = await fetch(`${b.url}/admin/stream`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      signal: ctl.signal,
    });
    expect(first.status).toBe(200);
    ctl.abort();
    await new Promise((r) => setTimeout(r, 1500));
    const tail = cli(['events', 'tail', '--count', '1', '--json']);
    // The stream starts reading the audit trail from when it connects: start tasks until one is heard.
    let done = false;
    void tail.then(() => (done = true));
    const until = Date.now() + 40_000;
    while (!done && Date.now() < until) {
      await startTaskToken(b.url, up, 'support-agent', { purpose: 'tail me' });
      await new Promise((r) => setTimeout(r, 300));
    }
    const r = await tail;
    expect(r.code).toBe(0);
    const change = JSON.parse(r.stdout.trim().split('\n')[0]!) as {
      kind: string;
      type: string;
      txn: string;
    };
    expect(change).toMatchObject({ kind: 'task' });
    expect(typeof change.txn).toBe('string');
  }, 60_000);

  test('revoke-all: refused without --yes (exit 2, nothing revoked), then every token ends', async () => {
    const token = await liveToolToken('support-agent');
    const refused = await cli(['revoke-all']);
    expect(refused.code).toBe(2);
    expect(await active(token)).toBe(true);
    const r = await json<{ revoked: string; before: number }>(['revoke-all', '--yes']);
    expect(r.revoked).toBe('all');
    expect(await active(token)).toBe(false);
  });
});

test('an unreachable Baton is exit 1, naming the URL', async () => {
  const r = await runBaton(['tasks', 'list'], {
    BATON_URL: 'http://127.0.0.1:9',
    BATON_ADMIN_KEY: ADMIN_KEY,
  });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('cannot reach Baton at http://127.0.0.1:9');
});
