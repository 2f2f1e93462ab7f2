import { DEFAULTS } from '../../config/defaults.js';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { CedarPolicySet, PolicyLoadError } from './engine.js';

/** The slice of a pino logger the holder uses. */
export interface PolicyLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export type ReloadResult =
  | { ok: true; version: string; changed: boolean }
  | { ok: false; problems: string[] };

const DEBOUNCE_MS = DEFAULTS.policyReloadDebounceMs;
const REWATCH_TRIES = DEFAULTS.policyRewatchTries;

/**
 * The Cedar policy set in force, read from a file. A reload (file watch, SIGHUP) that yields a
 * valid set replaces it in one assignment, so the next decision uses the new version and no
 * decision ever mixes two; an invalid file is refused with one warn line and the old set stays.
 */
export class PolicyHolder {
  private policy: CedarPolicySet | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Called after a reload put a new version in force (boot publishes it on the feed). */
  onChange: ((version: string) => void) | undefined;

  constructor(
    readonly path: string,
    private readonly log: PolicyLogger,
    initial?: CedarPolicySet,
  ) {
    this.policy = initial;
  }

  /** Loads the file; throws PolicyLoadError (or the read error) if it cannot take effect at start. */
  static fromFile(path: string, log: PolicyLogger): PolicyHolder {
    const set = CedarPolicySet.load(readFileSync(path, 'utf8'), path);
    for (const w of set.warnings)
      log.warn({ policyFile: path, policyVersion: set.version }, `policy warning: ${w}`);
    log.info(
      { policyFile: path, policyVersion: set.version, policies: set.ids.length },
      'Cedar policy loaded',
    );
    return new PolicyHolder(path, log, set);
  }

  current(): CedarPolicySet | undefined {
    return this.policy;
  }

  get version(): string | undefined {
    return this.policy?.version;
  }

  /** Reads the file again. The same text keeps the set in force (and its decision cache). */
  reload(): ReloadResult {
    const old = this.policy?.version;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      return this.refuse([`${this.path}: ${(e as Error).message}`], old);
    }
    let next: CedarPolicySet;
    try {
      const version = CedarPolicySet.versionOf(text);
      if (this.policy && version === this.policy.version)
        return { ok: true, version, changed: false };
      next = CedarPolicySet.load(text, this.path);
    } catch (e) {
      if (e instanceof PolicyLoadError) return this.refuse(e.problems, old);
      return this.refuse([`${this.path}: ${(e as Error).message}`], old);
    }
    this.policy = next;
    this.lastReloadError = undefined;
    for (const w of next.warnings)
      this.log.warn({ policyFile: this.path, policyVersion: next.version }, `policy warning: ${w}`);
    this.log.info(
      {
        policyFile: this.path,
        policyVersion: next.version,
        previousVersion: old ?? null,
        policies: next.ids.length,
      },
      'Cedar policy reloaded',
    );
    this.onChange?.(next.version);
    return { ok: true, version: next.version, changed: true };
  }

  /**
   * Reloads when the file changes (debounced). Editors that save by writing a new file and
   * renaming it over the old one end the watch on the old inode: on 'rename' the file is
   * watched again by path.
   */
  watch(): void {
    if (this.closed || this.watcher) return;
    try {
      this.watcher = watch(this.path, { persistent: false }, (event) => {
        if (event === 'rename') this.unwatch();
        this.schedule();
      });
      this.watcher.on('error', () => {
        this.unwatch();
        this.schedule();
      });
    } catch {
      this.watcher = undefined;
    }
  }

  close(): void {
    this.closed = true;
    this.unwatch();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(tries = 0): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      if (!this.watcher) {
        // Replaced or removed: wait for the new file to appear, then watch it again.
        if (!existsSync(this.path)) {
          if (tries < REWATCH_TRIES) this.schedule(tries + 1);
          else
            this.log.warn(
              { policyFile: this.path, policyVersion: this.policy?.version ?? null },
              'policy file is gone; the policy in force stays; SIGHUP reloads it once it is back',
            );
          return;
        }
        this.watch();
      }
      this.reload();
    }, DEBOUNCE_MS);
    this.timer.unref();
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** The last reload that was refused (the console shows it), cleared by one that takes effect. */
  lastReloadError: { at: number; problems: string[] } | undefined;

  private refuse(problems: string[], old: string | undefined): ReloadResult {
    this.lastReloadError = { at: Date.now(), problems };
    this.log.warn(
      { policyFile: this.path, policyVersion: old ?? null, problems },
      `Cedar policy reload refused, ${old ? `version ${old} stays in force` : 'no policy in force'}: ${problems.join('; ')}`,
    );
    return { ok: false, problems };
  }
}
