import { randomBytes } from 'node:crypto';

/**
 * One id per `npm test`: workers start after this and inherit it, so their prefixes share it
 * (redis.ts, testRunId). Jest loads this file without the module mapper, so it imports nothing
 * of the harness and repeats the variable's name.
 */
export default function globalSetup(): void {
  process.env.BATON_TEST_RUN ??= randomBytes(4).toString('hex');
}
