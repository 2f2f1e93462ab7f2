/** `baton token decode`: header and claims of a JWT, never its signature (docs/cli.md). */
import { SignJWT } from 'jose';
import { generateKeyPair } from 'jose';
import { runBaton, stopAllBatons } from '../support/index.js';

afterAll(() => stopAllBatons());

async function token(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({ scope: 'tickets:read', txn: 'task-1', act: { sub: 'support-agent' } })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
    .setSubject('alice@example.com')
    .setIssuedAt(1_800_000_000)
    .setExpirationTime(1_800_000_900)
    .sign(privateKey);
}

test('prints header and claims as JSON, and never the signature', async () => {
  const t = await token();
  const r = await runBaton(['token', 'decode', t, '--json']);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as {
    header: object;
    claims: Record<string, unknown>;
    verified: boolean;
  };
  expect(out).toMatchObject({
    header: { alg: 'ES256', kid: 'k1', typ: 'at+jwt' },
    claims: { sub: 'alice@example.com', txn: 'task-1', act: { sub: 'support-agent' } },
    verified: false,
  });
  const signature = t.split('.')[2]!;
  expect(r.stdout).not.toContain(signature);
  expect(r.stdout).not.toContain(t);
});

test('the human form names times and says it is not verified', async () => {
  const r = await runBaton(['token', 'decode', await token()]);
  expect(r.stdout).toContain('header (not verified):');
  expect(r.stdout).toContain('exp: 1800000900 (2027-01-15T08:15:00Z)');
  expect(r.stdout).not.toMatch(/signature/i);
});

test('something that is not a JWT is exit 1 with one line, echoing nothing of it', async () => {
  const r = await runBaton(['token', 'decode', 'secret-looking-value']);
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe('baton token decode: not a JWT: 1 parts, a JWS has 3');
});
