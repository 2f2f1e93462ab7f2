import { Cluster, type ClusterNode, Redis, type RedisOptions } from 'ioredis';
import { coalesceClusterWrites, coalesceWrites } from './coalesced-writes.js';
import type { Client } from './commands.js';

/** Where the server is: exactly one of a URL, Cluster nodes or Sentinels. */
export type RedisConnection =
  | { url: string; cluster?: undefined; sentinel?: undefined }
  | { cluster: ClusterNode[]; url?: undefined; sentinel?: undefined }
  | {
      sentinel: { name: string; sentinels: { host: string; port: number }[]; password?: string };
      url?: undefined;
      cluster?: undefined;
    };

/** A factory of clients to one deployment (the store's client, and each feed subscriber). */
export function clientFactory(conn: RedisConnection, commandTimeoutMs: number): () => Client {
  const base: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    // A command already written may have run: never write it again after a reconnect (its
    // caller was answered 503 "outcome unknown" and repeats it if it must).
    autoResendUnfulfilledCommands: false,
    // Off, measured (issue 20): auto-pipelining holds every command, its arguments and its
    // caller's closure until the whole batch is answered, so under load they survive a young
    // collection and get promoted (35% of promoted objects were ioredis's); RSS under the
    // deployed bench fell from 180–218 to ~157 MiB with it off, at the same req/s. Each
    // request already makes one Lua call; what batching pays for, one write per loop turn, is
    // done without holding anything (coalesced-writes.ts).
    enableAutoPipelining: false,
  };
  if (conn.cluster) {
    const nodes = conn.cluster;
    return () =>
      coalesceClusterWrites(
        new Cluster(nodes, { lazyConnect: true, redisOptions: base, enableAutoPipelining: false }),
      );
  }
  if (conn.sentinel) {
    const s = conn.sentinel;
    return () =>
      coalesceWrites(
        new Redis({
          ...base,
          sentinels: s.sentinels,
          name: s.name,
          ...(s.password ? { password: s.password } : {}),
        }),
      );
  }
  const url = conn.url;
  return () => coalesceWrites(new Redis(url, base));
}

/** The URL without its password (in the userinfo or a `password` query parameter). */
export function redactRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(an unparsable URL)';
  }
  if (u.password) u.password = '***';
  if (u.searchParams.has('password')) u.searchParams.set('password', '***');
  return u.toString();
}

/** Where Baton was told to find Redis, fit for a log or an error: never a password. */
export function describeConnection(conn: RedisConnection): string {
  if (conn.cluster) {
    const at = (n: ClusterNode) =>
      typeof n === 'object' ? `${n.host ?? ''}:${n.port ?? ''}` : String(n);
    return `Redis Cluster ${conn.cluster.map(at).join(',')}`;
  }
  if (conn.sentinel) {
    const nodes = conn.sentinel.sentinels.map((n) => `${n.host}:${n.port}`).join(',');
    return `Redis via Sentinel ${nodes} (master "${conn.sentinel.name}")`;
  }
  return `Redis at ${redactRedisUrl(conn.url)}`;
}

/** What went wrong, in words, from the last error ioredis reported (connect() says "closed"). */
export function describeCause(e: unknown): string {
  if (!(e instanceof Error)) return 'the connection closed';
  const code = (e as { code?: unknown }).code;
  if (code === 'ECONNREFUSED')
    return 'connection refused (ECONNREFUSED): is redis-server running there?';
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(e.message))
    return 'no answer in time (ETIMEDOUT): check the host, port and firewall';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found (${code})`;
  if (/^(WRONGPASS|NOAUTH|NOPERM)|AUTH/.test(e.message))
    return `authentication failed (${e.message.split(' ')[0]}): check the user and password`;
  return e.message;
}

/**
 * Connects, or throws an error naming Redis, where (without the password) and why. ioredis's
 * own rejection is a bare "Connection is closed."; the cause is in the last `error` event.
 */
export async function connectOrExplain(client: Client, conn: RedisConnection): Promise<void> {
  let last: unknown;
  const onError = (e: unknown) => {
    last = e;
  };
  client.on('error', onError);
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw new Error(`cannot connect to ${describeConnection(conn)}: ${describeCause(last ?? e)}`);
  } finally {
    client.off('error', onError);
  }
}

/** Connects, pings and disconnects (`baton config check`); throws like connectOrExplain. */
export async function pingRedis(conn: RedisConnection, timeoutMs: number): Promise<void> {
  const client = clientFactory(conn, timeoutMs)();
  try {
    await connectOrExplain(client, conn);
    await client.ping();
  } finally {
    client.disconnect();
  }
}
