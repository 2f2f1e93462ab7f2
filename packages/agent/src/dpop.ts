import * as oauth from 'oauth4webapi';

/** DPoP for the agent (RFC 9449): `true` for a key generated here (ES256), or a key pair given. */
export type DpopOption = boolean | CryptoKeyPair | undefined;

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
  const pair = option === true ? await oauth.generateKeyPair('ES256') : option;
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
