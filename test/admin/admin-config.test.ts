/** The `admin` section (docs/configuration.md, "admin"): keys, roles, the OIDC login, sessions. */
import { hashSecret } from '../../src/auth/secrets.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { makeUpstream, testConfig, type Upstream } from '../support/fixtures.js';

let up: Upstream;
beforeAll(async () => {
  up = await makeUpstream();
});

const withAdmin = (admin: unknown) =>
  testConfig(up, (raw) => {
    raw.admin = admin;
  });

test('named keys default to role admin; sessions and the role claim default from DEFAULTS', () => {
  const c = withAdmin({
    keys: [{ name: 'ops', keyHash: hashSecret('k') }],
    oidc: { issuer: 'https://idp.example.com', clientId: 'baton-console' },
  });
  expect(c.admin?.keys).toEqual([{ name: 'ops', keyHash: hashSecret('k'), role: 'admin' }]);
  expect(c.admin?.session).toEqual({
    idleSeconds: DEFAULTS.sessionIdleSeconds,
    absoluteSeconds: DEFAULTS.sessionAbsoluteSeconds,
  });
  expect(c.admin?.oidc?.roleClaim).toBe(DEFAULTS.oidcRoleClaim);
  expect(c.admin?.oidc?.allowInsecureRequests).toBe(false);
});

test('refuses an admin section nobody could use, an unknown role and a bad key name', () => {
  expect(() => withAdmin({})).toThrow(/keyHashes, keys or oidc/);
  expect(() =>
    withAdmin({ keys: [{ name: 'x', keyHash: hashSecret('k'), role: 'root' }] }),
  ).toThrow(/role/);
  expect(() => withAdmin({ keys: [{ name: 'a b', keyHash: hashSecret('k') }] })).toThrow(/name/);
  expect(() => withAdmin({ keyHashes: [hashSecret('k')], session: { idleSeconds: 0 } })).toThrow(
    /idleSeconds/,
  );
});
