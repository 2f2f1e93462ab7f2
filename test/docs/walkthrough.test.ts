/**
 * The walkthroughs are run, not just read (docs/walkthrough.md and the README's five-minute one):
 * the demo starts as `npm start` starts it
 * (src/cli/serve.ts), on two free ports that are not the defaults, and every `sh` block of the
 * page runs with bash in order, in one shell, as a reader pastes them. Each block must exit 0,
 * and the refusals and inactive answers its `text` block shows must be the ones it prints.
 * A block a script cannot run carries `<!-- not-run: reason -->` on the line before its fence.
 */
import { spawn } from 'node:child_process';
import { serve, type Served } from '../../src/cli/serve.js';
import { freePort, inTempDir } from '../support/story.js';
import { type Block, parse, readPage } from './markdown.js';

interface Step {
  run: Block;
  expected?: Block;
}

/** The page's shell blocks, each with the `text` block that follows it (its expected output). */
function steps(page: string): Step[] {
  const blocks = parse(readPage(page)).blocks;
  const out: Step[] = [];
  blocks.forEach((b, i) => {
    if (b.lang !== 'sh' || b.notRun) return;
    const next = blocks[i + 1];
    out.push({ run: b, expected: next?.lang === 'text' ? next : undefined });
  });
  return out;
}

/**
 * What a block's answers say, in order: OAuth error codes, introspection verdicts and the
 * revocation feed's event types (so a follower stopped before the last event fails).
 */
function verdicts(output: string): string[] {
  const said = /"error":"(\w+)"|\{"active":(false)\}|"active":(true)|^event: (\w+)$/gm;
  return [...output.matchAll(said)].map((m) =>
    m[1] ? m[1] : m[2] ? 'active:false' : m[3] ? 'active:true' : `event:${m[4]}`,
  );
}

/** Runs the blocks in one bash, each followed by a marker line carrying its exit status. */
function runInOneShell(
  blocks: Block[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ output: string; status: number }[]> {
  const script = blocks
    .map((b, i) => `{\n${b.body}\n}\necho; echo "@@block ${i} exit $?@@"\n`)
    .join('');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const results: { output: string; status: number }[] = [];
      let rest = stdout;
      for (let i = 0; i < blocks.length; i++) {
        const marker = new RegExp(`@@block ${i} exit (\\d+)@@\\n?`);
        const m = marker.exec(rest);
        if (!m) {
          results.push({ output: `${rest}\n(stderr) ${stderr}`, status: -1 });
          rest = '';
          continue;
        }
        results.push({ output: rest.slice(0, m.index), status: Number(m[1]) });
        rest = rest.slice(m.index + m[0].length);
      }
      resolve(results);
    });
  });
}

const pages = ['README.md', 'docs/walkthrough.md'];
const stepsOf = new Map(pages.map((p) => [p, steps(p)]));
const resultsOf = new Map<string, { output: string; status: number }[]>();
let served: Served | undefined;
let undoCwd: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const tmp = await inTempDir();
  undoCwd = tmp.undo;
  // Not 8080/8081, and the IdP not at PORT+1: a block that hard-codes a port fails here.
  const port = await freePort();
  let idpPort = await freePort();
  while (idpPort === port || idpPort === port + 1) idpPort = await freePort();
  const env = { PORT: String(port), DEMO_IDP_PORT: String(idpPort) };
  served = await serve({ ...env, BATON_LOG_LEVEL: 'silent' }, () => {});
  // The full walkthrough first: its feed block replays every revocation since the demo started.
  for (const page of [...pages].reverse()) {
    const blocks = (stepsOf.get(page) ?? []).map((s) => s.run);
    resultsOf.set(page, await runInOneShell(blocks, { ...process.env, ...env }, tmp.dir));
  }
}, 180_000);
afterAll(async () => {
  await served?.stop();
  await undoCwd?.();
});

describe.each(pages)('%s, run against the demo on non-default ports', (page) => {
  const all = stepsOf.get(page) ?? [];

  it('has shell blocks to run', () => {
    expect(all.length).toBeGreaterThanOrEqual(page === 'README.md' ? 3 : 10);
  });

  it.each(all.map((s, i) => [s.run.line, i] as const))(
    'the block at line %i exits 0 and answers what the page shows',
    (_line, i) => {
      const { run, expected } = all[i] ?? { run: { lang: '', body: '', line: 0 } };
      const got = resultsOf.get(page)?.[i] ?? { output: '(not run)', status: -1 };
      expect({ line: run.line, status: got.status, output: got.output }).toEqual({
        line: run.line,
        status: 0,
        output: expect.any(String),
      });
      expect(got.output).not.toMatch(/command not found|Traceback|Connection refused/);
      if (expected) expect(verdicts(got.output)).toEqual(verdicts(expected.body));
    },
  );
});
