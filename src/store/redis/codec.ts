import type { TaskRecord, TokenRecord } from '../store.js';

/**
 * Compact encodings: a token record is a few short-named fields of JSON (the bench's
 * bytes-per-token target), prefixed by the stamp the script adds.
 */
interface Packed {
  a: string[];
  /** The client, when it is not the current actor (it almost always is). */
  c?: string;
  x: string[];
  d: string;
  s: string;
  e: number;
  i: number;
  z?: Record<string, unknown>;
}

export function encodeRecord(t: TokenRecord): string {
  const p: Packed = {
    a: t.anc,
    ...(t.client !== t.actors[0] ? { c: t.client } : {}),
    x: t.actors,
    d: t.aud,
    s: t.scope,
    e: t.exp,
    i: t.iat,
    ...(t.ctx ? { z: t.ctx } : {}),
  };
  return JSON.stringify(p);
}

export function decodeRecord(txn: string, jti: string, value: string): TokenRecord {
  const sp = value.indexOf(' ');
  const p = JSON.parse(value.slice(sp + 1)) as Packed;
  return {
    jti,
    txn,
    anc: p.a,
    client: p.c ?? p.x[0]!,
    actors: p.x,
    aud: p.d,
    scope: p.s,
    exp: p.e,
    iat: p.i,
    stamp: Number(value.slice(0, sp)),
    ...(p.z ? { ctx: p.z } : {}),
  };
}

export function encodeTask(t: Omit<TaskRecord, 'stamp' | 'status'>): string[] {
  const f: string[] = [
    'owner',
    t.owner,
    'sub',
    t.sub,
    'createdAt',
    String(t.createdAt),
    'deadline',
    String(t.deadline),
  ];
  if (t.purpose !== undefined) f.push('purpose', t.purpose);
  if (t.jkt !== undefined) f.push('jkt', t.jkt);
  return f;
}

export function decodeTask(txn: string, h: Record<string, string>): TaskRecord | undefined {
  if (!h.status || !h.owner || !h.sub) return undefined;
  return {
    txn,
    owner: h.owner,
    sub: h.sub,
    createdAt: Number(h.createdAt),
    deadline: Number(h.deadline),
    status: h.status as TaskRecord['status'],
    stamp: Number(h.stamp),
    ...(h.purpose !== undefined ? { purpose: h.purpose } : {}),
    ...(h.jkt !== undefined ? { jkt: h.jkt } : {}),
    ...(h.outcome ? { outcome: h.outcome as TaskRecord['outcome'] } : {}),
    ...(h.summary ? { summary: h.summary } : {}),
    ...(h.endedBy ? { endedBy: h.endedBy } : {}),
  };
}
