/**
 * Reads a Baton token's claims without verifying it: the agent only needs `txn` and `exp` of
 * tokens Baton just gave it over TLS; Baton and the tools are the ones that verify.
 */
export function peekClaims(token: string): { txn?: string; exp?: number; cnf?: { jkt?: string } } {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, never>;
  } catch {
    return {};
  }
}
