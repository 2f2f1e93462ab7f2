import { DEFAULTS } from '../config/defaults.js';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { epochSeconds } from '../clock.js';

export type SigningAlg = 'ES256' | 'EdDSA' | 'RS256';

/** One key file in the shared key source: `<kid>.json`, mode 0600, never committed. */
export interface KeyFile {
  kid: string;
  alg: SigningAlg;
  createdAt: number;
  /** Epoch seconds from which this key signs; before that it is only published. */
  activateAt: number;
  privateJwk: JWK;
  publicJwk: JWK;
}

interface LoadedKey extends KeyFile {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The same private key for node:crypto's synchronous sign (see tokens/mint.ts). */
  signingKeyObject: KeyObject;
  /** base64url of the protected header of every token this key signs. */
  tokenHeader: string;
}

function loadKey(f: KeyFile): Promise<LoadedKey> {
  return Promise.all([importJWK(f.privateJwk, f.alg), importJWK(f.publicJwk, f.alg)]).then(
    ([priv, pub]) => ({
      ...f,
      privateKey: priv as CryptoKey,
      publicKey: pub as CryptoKey,
      signingKeyObject: createPrivateKey({ key: f.privateJwk as JsonWebKey, format: 'jwk' }),
      // RFC 9068 §2.1: typ at+jwt.
      tokenHeader: Buffer.from(JSON.stringify({ alg: f.alg, kid: f.kid, typ: 'at+jwt' })).toString(
        'base64url',
      ),
    }),
  );
}

/** A key whose JWKs do not import is named by its kid (its file is `<kid>.json`), never shown. */
async function loadOrExplain(f: KeyFile): Promise<LoadedKey> {
  try {
    return await loadKey(f);
  } catch {
    throw new Error(`key ${f.kid} (${f.kid}.json): its JWKs are not a valid ${f.alg} key pair`);
  }
}

const nowSec = () => epochSeconds();

/** A new key pair as a key file's content. `activateAt` in the future stages it: published first, signing later. */
export async function createKey(
  alg: SigningAlg = DEFAULTS.keyAlg,
  activateAt = nowSec(),
): Promise<KeyFile> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: DEFAULTS.rsaModulusLength } : {}),
  });
  const kid = `${new Date().toISOString().slice(0, 10)}-${randomBytes(6).toString('base64url')}`;
  const file: KeyFile = {
    kid,
    alg,
    createdAt: nowSec(),
    activateAt,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  };
  return file;
}

/** Creates a key into the shared key source `dir` (mode 0600). */
export async function generateKeyFile(
  dir: string,
  alg: SigningAlg = DEFAULTS.keyAlg,
  activateAt = nowSec(),
): Promise<KeyFile> {
  const file = await createKey(alg, activateAt);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, `${file.kid}.json`), JSON.stringify(file, null, 2), { mode: 0o600 });
  return file;
}

export function readKeyFiles(dir: string): KeyFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((n) => readKeyFile(join(dir, n)));
}

const ALGS: readonly string[] = ['ES256', 'EdDSA', 'RS256'];
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One key file, or an error naming the file and what is wrong with it. The error never quotes
 * the content (JSON.parse's message does: it would print a private key to the terminal).
 */
function readKeyFile(path: string): KeyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(
      `cannot read key file ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let f: unknown;
  try {
    f = JSON.parse(text);
  } catch {
    throw new Error(
      `key file ${path} is not valid JSON; restore it or remove it from the key source`,
    );
  }
  const bad = (what: string) =>
    new Error(`key file ${path} is not a Baton key file (${what}); restore it or remove it`);
  if (!isObject(f)) throw bad('not a JSON object');
  if (typeof f.kid !== 'string' || !f.kid) throw bad('no kid');
  if (typeof f.alg !== 'string' || !ALGS.includes(f.alg))
    throw bad('alg is not ES256, EdDSA or RS256');
  if (typeof f.activateAt !== 'number') throw bad('no activateAt');
  if (!isObject(f.privateJwk) || !isObject(f.publicJwk)) throw bad('no privateJwk or publicJwk');
  return f as unknown as KeyFile;
}

/**
 * The signing keys of one deployment, read from one shared source so every instance agrees.
 * Rotation: a staged key is published before it signs; a superseded key stays published (and
 * verifies) until every token it could have signed has expired (`maxTokenLifetimeSeconds`).
 */
export class KeySet {
  private keys: LoadedKey[] = [];
  private retiredKids = new Set<string>();

  private constructor(
    private readonly dir: string | undefined,
    private readonly maxTokenLifetimeSeconds: number,
  ) {}

  static async fromDir(dir: string, maxTokenLifetimeSeconds: number): Promise<KeySet> {
    const ks = new KeySet(dir, maxTokenLifetimeSeconds);
    await ks.reload();
    if (ks.keys.length === 0)
      throw new Error(`no signing keys in ${dir}: create one with \`baton keys generate\``);
    return ks;
  }

  static async fromFiles(files: KeyFile[], maxTokenLifetimeSeconds: number): Promise<KeySet> {
    const ks = new KeySet(undefined, maxTokenLifetimeSeconds);
    await ks.setFiles(files);
    return ks;
  }

  /** Re-reads the key source; called on a timer and on SIGHUP. */
  async reload(): Promise<void> {
    if (this.dir) await this.setFiles(readKeyFiles(this.dir));
  }

  async setFiles(files: KeyFile[]): Promise<void> {
    const loaded: LoadedKey[] = [];
    for (const f of files) {
      const known = this.keys.find((k) => k.kid === f.kid);
      loaded.push(known && known.activateAt === f.activateAt ? known : await loadOrExplain(f));
    }
    loaded.sort((a, b) => a.activateAt - b.activateAt);
    this.keys = loaded;
  }

  /** The newest key whose activation time has come (the oldest one if all are staged). */
  signingKey(now = nowSec()): LoadedKey {
    let current = this.keys[0];
    for (const k of this.keys) if (k.activateAt <= now) current = k;
    if (!current) throw new Error('key set is empty');
    return current;
  }

  /** Keys still published: staged, signing, or superseded less than a token lifetime ago. */
  published(now = nowSec()): LoadedKey[] {
    const signing = this.signingKey(now);
    const live = this.keys.filter((k, i) => {
      if (k.activateAt >= signing.activateAt) return true;
      const supersededAt = this.keys[i + 1]?.activateAt ?? Infinity;
      return supersededAt + this.maxTokenLifetimeSeconds > now;
    });
    this.retiredKids = new Set(this.keys.filter((k) => !live.includes(k)).map((k) => k.kid));
    return live;
  }

  /** Public key for a `kid`, or undefined when unknown or retired (its tokens have all expired). */
  verificationKey(kid: string | undefined, now = nowSec()): LoadedKey | undefined {
    if (!kid) return undefined;
    return this.published(now).find((k) => k.kid === kid);
  }

  isLive(kid: string): boolean {
    return this.keys.some((k) => k.kid === kid) && !this.retiredKids.has(kid);
  }

  jwks(now = nowSec()): { keys: JWK[] } {
    return { keys: this.published(now).map((k) => k.publicJwk) };
  }
}
