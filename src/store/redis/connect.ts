import { Cluster, type ClusterNode, Redis, type RedisOptions } from 'ioredis';
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
    enableAutoPipelining: true,
  };
  if (conn.cluster) {
    const nodes = conn.cluster;
    return () =>
      new Cluster(nodes, { lazyConnect: true, redisOptions: base, enableAutoPipelining: true });
  }
  if (conn.sentinel) {
    const s = conn.sentinel;
    return () =>
      new Redis({
        ...base,
        sentinels: s.sentinels,
        name: s.name,
        ...(s.password ? { password: s.password } : {}),
      });
  }
  const url = conn.url;
  return () => new Redis(url, base);
}
