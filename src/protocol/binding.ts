import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The binding of a human approval: everything one approval authorizes, so it covers this call
 * and no other. Shared by the server (which stores the hash) and, later, the SDK and
 * resource-server middleware (which recompute it), so all three must hash the same bytes.
 */
export interface ApprovalBinding {
  txn: string;
  agent: string;
  tool: string;
  scope: string;
  authorization_details?: unknown[];
}

/**
 * RFC 8785 JSON Canonicalization Scheme: object members sorted by UTF-16 code units, numbers
 * in ECMAScript shortest form, no insignificant whitespace. So `{"a":1,"b":2}` and
 * `{"b":2,"a":1}` are one value, where `JSON.stringify` would give two.
 */
export function canonicalJson(value: unknown): string {
  const out = canonicalize(value);
  // canonicalize answers undefined only for a value JSON cannot hold (undefined, a function).
  if (out === undefined) throw new TypeError('value has no JSON form');
  return out;
}

/**
 * SHA-256 (base64url) of the binding's canonical form. The scope is a set (RFC 6749 §3.3), so
 * its order does not count either; an absent `authorization_details` is `null`.
 */
export function bindingHash(b: ApprovalBinding): string {
  const canonical = canonicalJson([
    b.txn,
    b.agent,
    b.tool,
    b.scope.split(' ').filter(Boolean).sort().join(' '),
    b.authorization_details ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}
