import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ISSUER, TICKETS, exchange, introspectAs, makeUpstream } from '../support/fixtures.js';
import {
  spawnBaton,
  stopAllBatons,
  writeDeployment,
  type Deployment,
} from '../support/processes.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';
import { dropKeysUnder } from '../support/redis-keys.js';

const run = promisify(execFile);

describe('serve --workers (node:cluster)', () => {
  let deployment: Deployment | undefined;
  const prefix = uniquePrefix();
  afterAll(async () => {
    await stopAllBatons();
    await deployment?.remove();
    await dropKeysUnder({ url: testRedisUrl() }, prefix);
  });

  test('two workers behind one port serve one deployment: tokens minted by either work everywhere', async () => {
    const up = await makeUpstream();
    deployment = await writeDeployment(up, { url: testRedisUrl(), prefix });
    const b = await spawnBaton(deployment.configPath, 30_000, ['--workers', '2']);
    // Several connections so both workers answer some of them.
    const tasks = await Promise.all(
      Array.from(
        { length: 8 },
        async () =>
          (
            await exchange(b.url, 'support-agent', {
              subject_token: await up.userToken(),
              audience: ISSUER,
            })
          ).body.access_token as string,
      ),
    );
    for (const t of tasks) {
      const tool = await exchange(b.url, 'support-agent', { subject_token: t, resource: TICKETS });
      expect(tool.status).toBe(200);
      expect(
        await introspectAs(b.url, 'tickets-rs', tool.body.access_token as string),
      ).toMatchObject({ active: true });
    }
    // One primary and two workers: three processes with the serve command line.
    const { stdout } = await run('pgrep', ['-f', 'src/cli/baton.ts serve --workers 2']).catch(
      () => ({ stdout: '' }),
    );
    expect(stdout.trim().split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(3);
  });

  test('workers refuse the memory store (they would not share tokens)', async () => {
    const up = await makeUpstream();
    const d = await writeDeployment(up, { url: testRedisUrl(), prefix: uniquePrefix() }, (raw) => {
      raw.store = { kind: 'memory' };
    });
    try {
      await expect(spawnBaton(d.configPath, 10_000, ['--workers', '2'])).rejects.toThrow(
        /needs the Redis store/,
      );
    } finally {
      await d.remove();
    }
  });
});
