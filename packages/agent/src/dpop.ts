import * as oauth from 'oauth4webapi';

/**
 * DPoP for the agent (RFC 9449): `true` or `'ES256'` for a P-256 key generated here, `'Ed25519'` for
 * an Ed25519 key generated here (its proofs say `alg: Ed25519`, RFC 9864's name for EdDSA over
 * Ed25519), or a key pair of your own. ES256 is the default because every DPoP server accepts
 * it, and it is also the cheaper proof for Baton to check (node:crypto: 67 µs against 108 µs a
 * verify on the project's machine, docs/performance.md §4).
 */
export type DpopOption = boolean | 'ES256' | 'Ed25519' | CryptoKeyPair | undefined;

/** The algorithms an agent may have its DPoP key generated for. */
const GENERATED = ['ES256', 'Ed25519'] as const;

/**
 * The agent's DPoP key and oauth4webapi's handle for it, which signs every proof and keeps the
 * server's nonces (§8). The private key never leaves this object and is never logged.
 */
export interface AgentDpop {
  handle: oauth.DPoPHandle;
  /** RFC 7638 thumbprint: what Baton puts in `cnf.jkt`. */
  jkt: string;
  /**
   * A proof for one of Baton's own task endpoints (no access token, so no `ath`). oauth4webapi
   * signs proofs for token and resource requests itself; for these it is the same handle's
   * `addProof` and `cacheNonce`, which every v3 handle carries.
   */
  addProof(url: URL, headers: Headers): Promise<void>;
  cacheNonce(response: Response, url: URL): void;
}

interface HandleInternals {
  addProof(url: URL, headers: Headers, htm: string, accessToken?: string): Promise<void>;
  cacheNonce(response: Response, url: URL): void;
}

export async function agentDpop(option: DpopOption): Promise<AgentDpop | undefined> {
  if (!option) return undefined;
  let pair: CryptoKeyPair;
  if (option === true) pair = await oauth.generateKeyPair('ES256');
  else if (typeof option === 'string') {
    if (!(GENERATED as readonly string[]).includes(option))
      throw new TypeError(`dpop must be true, 'ES256', 'Ed25519' or a key pair (got '${option}')`);
    // Non-extractable: the private key cannot leave WebCrypto, not even through this SDK.
    pair = await oauth.generateKeyPair(option);
  } else pair = option;
  const handle = oauth.DPoP({}, pair);
  const internals = handle as unknown as Partial<HandleInternals>;
  // Fail closed at creation rather than send an unproved request later.
  if (typeof internals.addProof !== 'function' || typeof internals.cacheNonce !== 'function')
    throw new TypeError('this oauth4webapi version cannot sign DPoP proofs for task endpoints');
  const inner = internals as HandleInternals;
  return {
    handle,
    jkt: await handle.calculateThumbprint(),
    addProof: (url, headers) => inner.addProof.call(handle, url, headers, 'POST'),
    cacheNonce: (response, url) => inner.cacheNonce.call(handle, response, url),
  };
}
