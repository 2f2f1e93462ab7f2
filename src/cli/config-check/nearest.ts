import type { z } from 'zod';

/** Levenshtein distance, case-insensitive (a typo is `cedarfile` as often as `cedarFlie`). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++)
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (s[i - 1] === t[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[t.length] ?? 0;
}

/** The valid name closest to `name`, when close enough to be a typo of it. */
export function nearestName(name: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const v of valid) {
    const d = editDistance(name, v);
    if (d < bestD) [best, bestD] = [v, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
};
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas a value at `path` may match (several under a union). */
function schemasAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType[] {
  const d = defOf(schema);
  if (d.innerType) return schemasAt(d.innerType, path);
  if (d.type === 'pipe' && d.in) return schemasAt(d.in, path);
  if (d.type === 'union' && d.options) return d.options.flatMap((o) => schemasAt(o, path));
  if (path.length === 0) return [schema];
  const [head, ...rest] = path;
  if (d.type === 'object' && d.shape) {
    const next = d.shape[String(head)];
    return next ? schemasAt(next, rest) : [];
  }
  if (d.type === 'array' && d.element) return schemasAt(d.element, rest);
  if (d.type === 'record' && d.valueType) return schemasAt(d.valueType, rest);
  return [];
}

/** The field names an object at `path` of `schema` accepts. */
export function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const names = new Set<string>();
  for (const s of schemasAt(schema, path)) {
    const d = defOf(s);
    if (d.type === 'object' && d.shape) for (const k of Object.keys(d.shape)) names.add(k);
  }
  return [...names];
}
