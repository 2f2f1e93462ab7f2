/**
 * The `baton` CLI's errors, run as a user runs it: one line on stderr naming what is wrong,
 * exit code 2 for a usage mistake (1 for anything else), never a stack trace.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBaton, stopAllBatons } from '../support/index.js';

const STACK_LINE = /^ {4}at /m;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'baton-cli-'));
});
afterAll(async () => {
  await stopAllBatons();
  await rm(dir, { recursive: true, force: true });
});

function expectUsageError(r: { code: number | null; stderr: string }, message: string): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(message);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

test('keys generate --alg HS256: names the allowed algorithms, creates nothing', async () => {
  const keys = path.join(dir, 'keys');
  const r = await runBaton(['keys', 'generate', '--alg', 'HS256', '--dir', keys]);
  expectUsageError(r, 'baton keys generate: --alg must be ES256, EdDSA or RS256 (got "HS256")');
  await expect(readdir(keys)).rejects.toThrow(/ENOENT/);
});

test('keys generate --activate-in soon: names the option', async () => {
  const r = await runBaton(['keys', 'generate', '--activate-in', 'soon', '--dir', dir]);
  expectUsageError(r, '--activate-in must be a whole number of seconds (got "soon")');
});

test('policy check on a missing file: names the file', async () => {
  const missing = path.join(dir, 'nope.cedar');
  const r = await runBaton(['policy', 'check', missing]);
  expectUsageError(r, `baton policy check: no policy file at ${missing}`);
});

test('an unknown option is a usage error (exit 2)', async () => {
  const r = await runBaton(['keys', 'list', '--bogus']);
  expectUsageError(r, "unknown option '--bogus'");
});
