/**
 * The harness tests and bench share (bench/ imports only this file). What it offers:
 *
 * - fixtures.ts: the test cast's config (`rawTestConfig`, `testConfig`), an upstream IdP with real
 *   keys (`makeUpstream`), a Baton over HTTP (`startBaton`, `startTestBaton`), client credentials
 *   (`SECRETS`, `basic`, `credentials`), a log to read back (`capturedLog`), form and JSON calls
 *   (`formBody`, `postForm`, `exchange`, `introspectAs`, ...) and hand-built tokens for the
 *   security tests.
 * - redis.ts: the shared servers (`testRedisUrl`, `testClusterNodes`), private ones
 *   (`startRedisServer`, `startRedisCluster`), key prefixes (`uniquePrefix`, `runPrefix`).
 * - redis-keys.ts: what a test leaves behind (`keysUnder`, `dropKeysUnder`: SCAN + UNLINK, on
 *   a standalone server or on every cluster master).
 * - dpop.ts: DPoP key pairs, proofs and /token calls with a proof (`dpopKey`, `dpopExchange`).
 * - processes.ts: Baton as OS processes (`writeDeployment`, `spawnBaton`, `stopAllBatons`) and
 *   one-shot CLI runs (`runBaton`: exit code, stdout, stderr).
 *
 * Jest-only helpers (they call `expect`) are imported by tests directly: revocation-flows.ts,
 * story.ts, store-fixtures.ts and store-contract.ts. global-setup.ts and global-teardown.ts
 * hold a run's prefix family and fail the run if it left keys on the shared server.
 */
export * from './fixtures.js';
export * from './processes.js';
export * from './redis.js';
export * from './redis-keys.js';
export * from './dpop.js';
