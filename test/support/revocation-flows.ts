/**
 * Helpers for the revocation tests (test/revocation/*.test.ts, test/instances/instances.test.ts):
 * delegation chains over HTTP, token state probes (introspection for tool tokens, the admin tree
 * for task tokens), bounded polling, a small Server-Sent Events reader, and Redis key counting.
 */
import { Redis } from 'ioredis';
import {
  ADMIN_KEY,
  BILLING,
  claimsOf,
  exchange,
  exchangeOk,
  introspectAs,
  ISSUER,
  startTaskToken,
  TICKETS,
  type ClientId,
  type HttpResult,
  type Upstream,
} from './fixtures.js';
import type { RedisNode } from './redis.js';
import { dropKeysUnder, scanKeys } from './redis-keys.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The tool each agent of the test cast may use, and the resource server that checks it. */
export const TOOL_OF: Record<
  'support-agent' | 'billing-agent' | 'isolated-agent',
  { resource: string; rs: 'tickets-rs' | 'billing-rs'; scope: string }
> = {
  'support-agent': { resource: TICKETS, rs: 'tickets-rs', scope: 'tickets:read' },
  'billing-agent': { resource: BILLING, rs: 'billing-rs', scope: 'billing:read' },
  'isolated-agent': { resource: TICKETS, rs: 'tickets-rs', scope: 'tickets:read' },
};
export type ToolAgent = keyof typeof TOOL_OF;

/** Agents along a depth-4 chain: support -> billing -> support -> billing (the cast allows it). */
export const CHAIN_AGENTS: ToolAgent[] = [
  'support-agent',
  'billing-agent',
  'support-agent',
  'billing-agent',
];

/** One level of a delegation chain: the task token held at that depth and a tool token minted from it. */
export interface Level {
  depth: number;
  agent: ToolAgent;
  task: string;
  tool: string;
}

/** A tool token for the current actor of `task` (its own tool). */
export async function toolToken(url: string, agent: ToolAgent, task: string): Promise<string> {
  const t = TOOL_OF[agent];
  return (
    await exchangeOk(url, agent, { subject_token: task, resource: t.resource, scope: t.scope })
  ).token;
}

/** `to` takes `task` over (hand-off, one more act level) and mints a tool token from it. */
export async function handOffLevel(url: string, from: Level, to: ToolAgent): Promise<Level> {
  const task = (await exchangeOk(url, to, { subject_token: from.task, audience: ISSUER })).token;
  return { depth: from.depth + 1, agent: to, task, tool: await toolToken(url, to, task) };
}

/** A fresh task started by `agent` for `sub`, with one tool token; `expIn` (the user token's life) bounds the task's deadline. */
export async function rootLevel(
  url: string,
  upstream: Upstream,
  agent: ToolAgent = 'support-agent',
  sub = 'alice@example.com',
  expIn?: number,
): Promise<Level> {
  const task = await startTaskToken(url, upstream, agent, {
    subject_token: await upstream.userToken({ sub, ...(expIn ? { expIn } : {}) }),
  });
  return { depth: 1, agent, task, tool: await toolToken(url, agent, task) };
}

/** A task handed along CHAIN_AGENTS to `depth` levels, a tool token at every level. */
export async function buildChain(
  url: string,
  upstream: Upstream,
  depth = 4,
  sub = 'alice@example.com',
): Promise<Level[]> {
  const levels = [await rootLevel(url, upstream, CHAIN_AGENTS[0], sub)];
  while (levels.length < depth)
    levels.push(await handOffLevel(url, levels[levels.length - 1]!, CHAIN_AGENTS[levels.length]!));
  return levels;
}

/** RFC 7662 `active` of a tool token, asked of the resource server it is for. */
export async function toolActive(url: string, tool: string): Promise<boolean> {
  const aud = claimsOf(tool).aud;
  const rs = aud === TICKETS ? 'tickets-rs' : aud === BILLING ? 'billing-rs' : undefined;
  if (!rs) throw new Error(`not a tool token of the test cast (aud ${aud})`);
  return (await introspectAs(url, rs, tool)).active === true;
}

/** Asserts both tokens of a level: tool token by introspection, task token in the admin tree. */
export async function expectLevel(
  u: string,
  l: Level,
  alive: boolean,
  deadState = 'revoked',
): Promise<void> {
  expect({ depth: l.depth, tool: await toolActive(u, l.tool) }).toEqual({
    depth: l.depth,
    tool: alive,
  });
  expect({ depth: l.depth, task: await treeState(u, l.task) }).toEqual({
    depth: l.depth,
    task: alive ? 'active' : deadState,
  });
}

export const adminHeaders = { authorization: `Bearer ${ADMIN_KEY}` };

export async function adminRequest(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string> = adminHeaders,
): Promise<HttpResult> {
  const res = await fetch(`${url}${path}`, { method, headers });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { raw: text };
  }
  return { status: res.status, headers: res.headers, body };
}

/** POST an admin revocation; throws unless 200. */
export async function adminRevoke(url: string, path: string): Promise<Record<string, unknown>> {
  const r = await adminRequest(url, 'POST', path);
  if (r.status !== 200) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export interface TreeNodeJson {
  jti: string;
  parent: string | null;
  client_id: string;
  act: string[];
  aud: string;
  state: string;
  children: TreeNodeJson[];
}

export function flattenTree(nodes: TreeNodeJson[]): TreeNodeJson[] {
  return nodes.flatMap((n) => [n, ...flattenTree(n.children)]);
}

/** A token's state in the admin tree of its task ('gone' when the task is unknown). */
export async function treeState(url: string, token: string): Promise<string> {
  const c = claimsOf(token);
  const r = await adminRequest(url, 'GET', `/admin/tasks/${encodeURIComponent(c.txn)}`);
  if (r.status === 404) return 'gone';
  if (r.status !== 200) throw new Error(`admin tree ${r.status} ${JSON.stringify(r.body)}`);
  const node = flattenTree(r.body.tokens as TreeNodeJson[]).find((n) => n.jti === c.jti);
  if (!node) throw new Error(`token ${c.jti} is not in the tree of its task`);
  return node.state;
}

/** Asks for a tool token from a task token as its current actor: the probe of "can this chain be extended". */
export function extendAsHolder(url: string, task: string): Promise<HttpResult> {
  const agent = claimsOf(task).act.sub as ToolAgent;
  const t = TOOL_OF[agent];
  return exchange(url, agent as ClientId, {
    subject_token: task,
    resource: t.resource,
    scope: t.scope,
  });
}

/** Store stamp (µs) at which the token's task started: the last per-actor stamp of its lineage. */
export const taskStamp = (token: string): number => {
  const st = claimsOf(token).lineage.st;
  return st[st.length - 1]!;
};

/** Orders stream / feed ids ("ms-seq" on Redis, a counter on memory): -1, 0 or 1. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map((x) => BigInt(x));
  const [bm = 0n, bs = 0n] = b.split('-').map((x) => BigInt(x));
  return am < bm || (am === bm && as < bs) ? -1 : am === bm && as === bs ? 0 : 1;
}

/**
 * Polls `probe` until it returns true or `timeoutMs` passes; returns the last result. A
 * polling window for things that travel between instances, never a timing assertion.
 */
export async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs = 2000,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

// ---- Server-Sent Events ----------------------------------------------------------------------

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/**
 * A minimal SSE reader over fetch: `opened` resolves at the first comment or event (the server
 * has answered), `next()` waits (bounded) for the next event. Always close() it.
 */
export class FeedReader {
  private readonly queue: SseEvent[] = [];
  private readonly waiters: ((e: SseEvent | undefined) => void)[] = [];
  private ended = false;
  private sawAnything = false;
  private openedResolve!: () => void;
  readonly opened: Promise<void> = new Promise((r) => (this.openedResolve = r));

  private constructor(
    readonly status: number,
    private readonly abort: AbortController,
  ) {}

  /** Opens the stream; a non-200 answer comes back with `status` set and nothing to read. */
  static async open(
    url: string,
    headers: Record<string, string>,
    timeoutMs = 5000,
  ): Promise<FeedReader> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'text/event-stream', ...headers },
        signal: abort.signal,
      });
    } finally {
      clearTimeout(timer);
    }
    const reader = new FeedReader(res.status, abort);
    if (res.status !== 200 || !res.body) {
      await res.text().catch(() => undefined);
      reader.finish();
      return reader;
    }
    void reader.pump(res.body);
    return reader;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        for (let i = buf.search(/\r?\n\r?\n/); i >= 0; i = buf.search(/\r?\n\r?\n/)) {
          const block = buf.slice(0, i);
          buf = buf.slice(i).replace(/^\r?\n\r?\n/, '');
          this.block(block);
        }
      }
    } catch {
      /* aborted or reset: the reader is finished */
    }
    this.finish();
  }

  private block(block: string): void {
    if (!this.sawAnything) {
      this.sawAnything = true;
      this.openedResolve();
    }
    const e: SseEvent = { data: '' };
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'id') e.id = value;
      else if (field === 'event') e.event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && e.id === undefined && e.event === undefined) return; // a comment
    e.data = data.join('\n');
    const w = this.waiters.shift();
    if (w) w(e);
    else this.queue.push(e);
  }

  private finish(): void {
    this.ended = true;
    this.openedResolve();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** The next event, or undefined when the stream ended or `timeoutMs` passed. */
  next(timeoutMs = 3000): Promise<SseEvent | undefined> {
    const e = this.queue.shift();
    if (e) return Promise.resolve(e);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(undefined);
      }, timeoutMs);
      const done = (v: SseEvent | undefined) => {
        clearTimeout(timer);
        resolve(v);
      };
      this.waiters.push(done);
    });
  }

  /** Events until `stop` says enough (inclusive) or a wait for the next times out. */
  async collectUntil(
    stop: (e: SseEvent, all: SseEvent[]) => boolean,
    timeoutMs = 3000,
  ): Promise<SseEvent[]> {
    const all: SseEvent[] = [];
    for (let i = 0; i < 10_000; i++) {
      const e = await this.next(timeoutMs);
      if (!e) break;
      all.push(e);
      if (stop(e, all)) break;
    }
    return all;
  }

  /** True once the server ended the stream (or close() was called). */
  get isEnded(): boolean {
    return this.ended;
  }

  close(): void {
    this.abort.abort();
    this.finish();
  }
}

// ---- Redis keys ------------------------------------------------------------------------------

async function withStandalone<T>(url: string, op: (r: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await op(redis);
  } finally {
    redis.disconnect();
  }
}

export interface KeyCensus {
  task: number;
  tok: number;
  rev: number;
  ev: number;
  /** `:ev` streams with no expiry (TTL -1): these would live for ever. */
  evWithoutTtl: string[];
}

/** Counts Baton's per-task keys under `prefix` (SCAN, never DBSIZE). */
export function censusKeys(url: string, prefix: string): Promise<KeyCensus> {
  return withStandalone(url, async (r) => {
    const census: KeyCensus = { task: 0, tok: 0, rev: 0, ev: 0, evWithoutTtl: [] };
    for (const k of await scanKeys(r, prefix)) {
      if (k.endsWith(':task')) census.task++;
      else if (k.endsWith(':tok')) census.tok++;
      else if (k.endsWith(':rev')) census.rev++;
      else if (k.endsWith(':ev')) {
        census.ev++;
        if ((await r.ttl(k)) < 0) census.evWithoutTtl.push(k);
      }
    }
    return census;
  });
}

/** A raw command on a standalone Redis (SCARD and the like, for white-box checks). */
export function onRedis<T>(url: string, op: (r: Redis) => Promise<T>): Promise<T> {
  return withStandalone(url, op);
}

/** Deletes every key under `prefix` on a standalone Redis. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  await dropKeysUnder({ url }, prefix);
}

/** Deletes every key under `prefix` on every master of a cluster. */
export async function dropPrefixCluster(nodes: RedisNode[], prefix: string): Promise<void> {
  await dropKeysUnder({ cluster: nodes }, prefix);
}
