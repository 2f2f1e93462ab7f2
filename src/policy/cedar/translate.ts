import type * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { timeContext, type PolicyContext } from './types.js';

/*
 * Translation between Baton's requests and Cedar's JSON: the context built from only what the
 * policies read, the walk that finds what they read, and readable load errors.
 */

/** Per top-level context field: read whole, or only some attributes of a record (user, time). */
export type ContextReads = Map<string, Set<string> | 'all'>;

/** Context fields in the order they are built (and so appear in a cache key). */
const CONTEXT_ORDER: readonly (keyof PolicyContext)[] = [
  'scopes',
  'user',
  'act',
  'current_actor',
  'depth',
  'purpose',
  'tool',
  'time',
  'authorization_details',
];

export const sorted = (xs: readonly string[] | undefined) =>
  xs ? [...new Set(xs)].sort() : undefined;

export function entityAttrs(e: {
  tenant?: string;
  labels?: string[];
}): Record<string, cedar.CedarValueJson> {
  const a: Record<string, cedar.CedarValueJson> = {};
  if (e.tenant !== undefined) a.tenant = e.tenant;
  if (e.labels !== undefined) a.labels = sorted(e.labels)!;
  return a;
}

const long = (n: number) => (Number.isFinite(n) ? Math.trunc(n) : 0);

/** One context field in the schema's shape: sets sorted and deduped, integers for Longs; undefined when absent. */
function fieldValue(c: PolicyContext, f: keyof PolicyContext): cedar.CedarValueJson | undefined {
  switch (f) {
    case 'scopes':
    case 'act':
      return sorted(c[f]);
    case 'user': {
      const u = c.user;
      const user: Record<string, cedar.CedarValueJson> = { sub: u.sub, iss: u.iss };
      if (u.tenant !== undefined) user.tenant = u.tenant;
      if (u.email !== undefined) user.email = u.email;
      if (u.groups !== undefined) user.groups = sorted(u.groups)!;
      if (u.roles !== undefined) user.roles = sorted(u.roles)!;
      return user;
    }
    case 'depth':
      return long(c.depth);
    case 'time': {
      const t = c.time ?? timeContext();
      return { epoch: long(t.epoch), hour: long(t.hour), weekday: long(t.weekday) };
    }
    case 'authorization_details':
      return c.authorization_details?.map((d) => ({
        type: d.type,
        action: d.action,
        target: d.target ?? '',
      }));
    default:
      return c[f];
  }
}

/**
 * The Cedar context: every field the policies read (all of them when `reads` is undefined),
 * records cut to the attributes read, optional fields omitted when absent. Fields no policy
 * reads are left out; there is no request validation to miss them (see `evaluate`).
 */
export function cedarContext(c: PolicyContext, reads: ContextReads | undefined): cedar.Context {
  const ctx: cedar.Context = {};
  for (const f of CONTEXT_ORDER) {
    const want = reads ? reads.get(f) : 'all';
    if (want === undefined) continue;
    const v = fieldValue(c, f);
    if (v === undefined) continue;
    if (want === 'all' || typeof v !== 'object' || v === null || Array.isArray(v)) ctx[f] = v;
    else {
      const rec = v as Record<string, cedar.CedarValueJson>;
      const cut: Record<string, cedar.CedarValueJson> = {};
      for (const a of [...want].sort()) if (rec[a] !== undefined) cut[a] = rec[a]!;
      ctx[f] = cut;
    }
  }
  return ctx;
}

export interface Scan {
  context: ContextReads;
  /** `context` used as a whole (not through `.` or `has`): every field counts. */
  all: boolean;
  principal: boolean;
  resource: boolean;
  task: boolean;
}

/**
 * What the policies read: the context paths (`context.user.tenant`, `context has purpose`),
 * whether agent or tool attributes are read, and whether a Baton::Task entity is named.
 * Anything the walk cannot place counts as reading more, never less.
 */
export function scanPolicies(policies: cedar.PolicyJson[]): Scan {
  const scan: Scan = {
    context: new Map(),
    all: false,
    principal: false,
    resource: false,
    task: false,
  };
  const obj = (e: unknown): e is Record<string, unknown> =>
    typeof e === 'object' && e !== null && !Array.isArray(e);
  const chain = (e: unknown): { root: unknown; path: string[] } => {
    const path: string[] = [];
    let cur = e;
    while (obj(cur) && obj(cur['.'])) {
      const dot = cur['.'] as { left: unknown; attr: string };
      path.unshift(dot.attr);
      cur = dot.left;
    }
    return { root: cur, path };
  };
  const mark = (root: unknown, path: string[]): void => {
    const v = obj(root) ? root.Var : undefined;
    if (v === 'context') {
      const [field, attr] = path;
      if (field === undefined) return void (scan.all = true);
      const cur = scan.context.get(field);
      if (attr === undefined) scan.context.set(field, 'all');
      else if (cur !== 'all') scan.context.set(field, (cur ?? new Set<string>()).add(attr));
    } else if (v === 'principal') scan.principal = true;
    else if (v === 'resource') scan.resource = true;
    else if (v !== 'action') {
      // An attribute of something computed (e.g. `(if c then principal else resource).tenant`).
      scan.principal = scan.resource = true;
      visit(root);
    }
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!obj(node)) return;
    if (obj(node['.'])) {
      const { root, path } = chain(node);
      return mark(root, path);
    }
    if (obj(node.has)) {
      const has = node.has as { left: unknown; attr: string | string[] };
      const { root, path } = chain(has.left);
      return mark(root, [...path, ...(Array.isArray(has.attr) ? has.attr : [has.attr])]);
    }
    if (node.Var === 'context') scan.all = true;
    if (node.type === 'Baton::Task' && typeof node.id === 'string') scan.task = true;
    for (const v of Object.values(node)) visit(v);
  };
  policies.forEach(visit);
  return scan;
}

/** file:line:col for a char offset in `text` plus a byte offset after it (Cedar reports UTF-8 byte offsets). */
export function locator(text: string, source: string) {
  return (charOffset: number, byteOffset: number): string => {
    let at = Math.max(0, charOffset);
    if (byteOffset > 0)
      at += Buffer.from(text.slice(at)).subarray(0, byteOffset).toString('utf8').length;
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    return `${source}:${line}:${col}`;
  };
}

export function describe(e: cedar.DetailedError, where: (c: number, b: number) => string): string {
  const loc = e.sourceLocations?.[0];
  const pos = loc ? where(0, loc.start) : where(0, 0).replace(/:\d+:\d+$/, '');
  const label = loc?.label ? ` (${loc.label})` : '';
  return `${pos}: ${e.message}${label}${e.help ? ` — ${e.help}` : ''}`;
}

export function describeValidation(
  e: cedar.ValidationError,
  where: (c: number, b: number) => string,
  name: (cedarId: string) => string,
): string {
  const loc = e.error.sourceLocations?.[0];
  // Cedar names policies by its own ids (`policy0`, ...) in the message and the help.
  const rename = (t: string) =>
    t.replace(/^for policy `[^`]*`, /, '').replace(/(?:for )?policy `(policy\d+)`,? ?/g, '');
  const help = e.error.help ? ` — ${rename(e.error.help)}` : '';
  const pos = loc ? where(0, loc.start) : where(0, 0).replace(/:\d+:\d+$/, '');
  return `${pos}: ${name(e.policyId)}: ${rename(e.error.message)}${help}`;
}

/**
 * The validator repeats a context error once per action (the context type is shared):
 * report it once, naming every action it was found for.
 */
export function merge(problems: string[]): string[] {
  const byKey = new Map<string, string[]>();
  const ACTION = / for Baton::Action::"([^"]*)"/;
  for (const p of problems) {
    const k = p.replace(ACTION, ' for {ACTIONS}');
    const action = ACTION.exec(p)?.[1];
    const list = byKey.get(k) ?? [];
    if (action !== undefined && !list.includes(action)) list.push(action);
    byKey.set(k, list);
  }
  return [...byKey].map(([k, actions]) =>
    k.replace(
      ' for {ACTIONS}',
      actions.length === 1
        ? ` for Baton::Action::"${actions[0]}"`
        : ` for actions ${actions.sort().join(', ')}`,
    ),
  );
}
