/**
 * The copy-paste example of docs/connect-an-agent.md runs as written against a live Baton: its
 * demo names are mapped to the test cast's (the demo's issuer to the test Baton, its tools'
 * origin to the fake tools), and `createAgent` gets the test's fetch, which routes those names.
 */
import { ADMIN_KEY, ISSUER, SECRETS } from '../../../test/support/index.js';
import { parse, readPage } from '../../../test/docs/markdown.js';
import type { AgentOptions } from '../src/index.js';
import { type LiveBaton, liveBaton, TOOLS_ORIGIN } from './live-baton.js';

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<void>;

describe('docs/connect-an-agent.md', () => {
  let live: LiveBaton;
  beforeAll(async () => {
    live = await liveBaton('memory');
  });
  afterAll(() => live.close());

  test('the example is under 20 lines and runs: a tool call with the token, a token, completion', async () => {
    const block = parse(readPage('docs/connect-an-agent.md')).blocks.find((b) => b.lang === 'ts');
    expect(block).toBeDefined();
    const lines = block!.body.trim().split('\n');
    expect(lines.length).toBeLessThan(20);
    expect(lines[0]).toBe("import { createAgent } from '@baton/agent';");
    const code = lines
      .slice(1)
      .join('\n')
      .replaceAll("'http://localhost:8080'", JSON.stringify(ISSUER))
      .replaceAll('https://tools.example.com', TOOLS_ORIGIN);
    const printed: unknown[][] = [];
    let started: string | undefined;
    const wrapped = async (o: AgentOptions) => {
      const agent = await live.agent('support-agent', o);
      return {
        ...agent,
        startTask: async (...a: Parameters<typeof agent.startTask>) => {
          const t = await agent.startTask(...a);
          started = t.txn;
          return t;
        },
      };
    };
    const env = { AGENT_SECRET: SECRETS['support-agent'], USER_TOKEN: await live.up.userToken() };
    await new AsyncFunction('createAgent', 'process', 'console', code)(
      wrapped,
      { env },
      { log: (...a: unknown[]) => printed.push(a) },
    );
    expect(printed).toEqual([[200], [true]]);
    expect(live.tools.seen.map((s) => s.path)).toEqual(['/tickets/42']);
    expect(live.tools.seen[0]!.authorization).toMatch(/^DPoP /);
    const task = await fetch(`${live.b.url}/admin/tasks/${started}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(((await task.json()) as { task: { status: string } }).task.status).toBe('completed');
  });
});
