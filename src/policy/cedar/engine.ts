import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import {
  cedarContext,
  describe,
  describeValidation,
  entityAttrs,
  locator,
  merge,
  scanPolicies,
  sorted,
  type ContextReads,
} from './translate.js';
import {
  CEDAR_ERROR,
  DEFAULT_CACHE_SIZE,
  NO_PERMIT,
  PolicyLoadError,
  type PolicyDecision,
  type PolicyRequest,
} from './types.js';

export * from './types.js';

/**
 * The second policy layer: Cedar conditions over agent × action × tool (or task), with the
 * request as context. The config's ceilings (../ceilings.ts) are checked first; a request that
 * reaches Cedar is refused unless some policy permits it and no policy forbids it.
 *
 * A policy set is parsed, checked (every policy carries a unique `@id`) and validated against
 * the schema Baton ships (baton.cedarschema, strict mode) once, at load; decisions run against
 * the preparsed set and are cached per set (see `decide`).
 *
 * `@cedar-policy/cedar-wasm/nodejs` is the entry that loads under plain Node, tsx and jest ESM
 * alike (the package root needs Node's experimental wasm-module imports).
 */

/*
 * Node 20's V8 (11.3) aborts the whole process ("Fatal error ... unreachable code" in
 * Deoptimizer::DoComputeBuiltinContinuation) when TurboFan code that inlined a JS->Wasm call into
 * cedar-wasm deoptimizes: a few thousand decisions in a loop crash about half the runs here, and
 * none with JS->Wasm call inlining off. The flag only affects how later optimized code is
 * compiled, so setting it at load is enough; it costs nothing measurable per decision.
 * (V8 >= 13 is left alone: untested there, and an unknown flag would be reported on stderr.)
 */
if (Number(process.versions.v8.split('.')[0]) <= 12)
  setFlagsFromString('--no-turbo-inline-js-wasm-calls');

export const SCHEMA_PATH = fileURLToPath(new URL('./baton.cedarschema', import.meta.url));
/** The Cedar schema every policy set is validated against. */
export const BATON_SCHEMA = readFileSync(SCHEMA_PATH, 'utf8');

const ID_RE = /^[A-Za-z0-9._:/@+-]{1,128}$/;

interface Parsed {
  id: string;
  text: string;
  json: cedar.PolicyJson;
}

export interface LoadOptions {
  /** Bound of the decision cache (entries); 0 turns it off. */
  cacheSize?: number;
}

export class CedarPolicySet {
  /** Policy ids in file order. */
  readonly ids: readonly string[];
  /**
   * What the policies read of the context: top-level fields, or `field.attr` where only some
   * attributes of a record (user, time) are read; `*` when a policy uses `context` as a whole.
   */
  readonly reads: readonly string[];
  /** Some policy reads `context.time`: decisions are never cached. */
  readonly readsTime: boolean;
  /** Some policy reads `context.authorization_details`: decisions are never cached. */
  readonly readsDetails: boolean;
  /** Validator warnings (the set still loads). */
  readonly warnings: readonly string[];

  private readonly psetId: string;
  private readonly approvalIds: ReadonlySet<string>;
  /** The context fields passed to Cedar and keyed on; undefined = all (`context` used whole). */
  private readonly contextReads: ContextReads | undefined;
  /** Whether the agent / tool entity (its attributes) must be passed: some policy reads them. */
  private readonly principalAttrs: boolean;
  private readonly resourceAttrs: boolean;
  /** A Task's id (a txn) is in the key only if some policy names a Baton::Task entity. */
  private readonly keyTaskId: boolean;
  private readonly cacheable: boolean;
  private readonly cache = new Map<string, PolicyDecision>();
  private hits = 0;
  private misses = 0;

  private constructor(
    readonly version: string,
    readonly source: string,
    fullHash: string,
    policies: Parsed[],
    warnings: string[],
    private readonly cacheSize: number,
  ) {
    this.ids = policies.map((p) => p.id);
    this.warnings = warnings;
    this.psetId = `baton:${fullHash}`;
    this.approvalIds = new Set(
      policies.filter((p) => p.json.annotations?.approval === 'required').map((p) => p.id),
    );
    const scan = scanPolicies(policies.map((p) => p.json));
    this.contextReads = scan.all ? undefined : scan.context;
    this.principalAttrs = scan.principal;
    this.resourceAttrs = scan.resource;
    this.keyTaskId = scan.task;
    this.reads = scan.all
      ? ['*']
      : [...scan.context]
          .flatMap(([f, sub]) => (sub === 'all' ? [f] : [...sub].map((a) => `${f}.${a}`)))
          .sort();
    this.readsTime = scan.all || scan.context.has('time');
    this.readsDetails = scan.all || scan.context.has('authorization_details');
    // A decision that depends on the time or on one call's authorization details is made on
    // every request: caching it would need the time (or the details) in the key, which would
    // never hit. That costs a full Cedar evaluation per exchange (docs/policy.md, caching).
    this.cacheable = cacheSize > 0 && !this.readsTime && !this.readsDetails;
  }

  /** The version a text would load as: the first 12 hex digits of its SHA-256. */
  static versionOf(text: string): string {
    return createHash('sha256').update(text).digest('hex').slice(0, 12);
  }

  /**
   * Parses, checks and validates `text`; throws PolicyLoadError naming every problem.
   * `source` (a file name) prefixes the problems' positions.
   */
  static load(text: string, source: string, opts: LoadOptions = {}): CedarPolicySet {
    const fullHash = createHash('sha256').update(text).digest('hex');
    const where = locator(text, source);

    let parts: cedar.PolicySetTextToPartsAnswer;
    try {
      parts = cedar.policySetTextToParts(text);
    } catch (e) {
      throw new PolicyLoadError(source, [`${source}: ${(e as Error).message}`]);
    }
    if (parts.type === 'failure')
      throw new PolicyLoadError(
        source,
        parts.errors.map((e) => describe(e, where)),
      );
    const problems: string[] = [];
    if (parts.policy_templates.length)
      problems.push(
        ...parts.policy_templates.map(
          (t) =>
            `${where(text.indexOf(t), 0)}: templates (?principal / ?resource slots) are not supported`,
        ),
      );

    // The parts come back sorted by Cedar's own ids (policy0, policy1, policy10, policy2, ...):
    // put them back in file order, and find where each one starts for the messages.
    const n = parts.policies.length;
    const ordered: string[] = new Array<string>(n);
    Array.from({ length: n }, (_, i) => `policy${i}`)
      .sort()
      .forEach((cedarId, k) => (ordered[Number(cedarId.slice(6))] = parts.policies[k]!));
    if (Array.from(ordered).some((t) => t === undefined)) ordered.splice(0, n, ...parts.policies); // not Cedar's usual ids: keep its order
    const offsets: number[] = [];
    let cursor = 0;
    for (const t of ordered) {
      const at = text.indexOf(t, cursor);
      offsets.push(at);
      if (at >= 0) cursor = at + t.length;
    }

    const policies: Parsed[] = [];
    const ids: (string | undefined)[] = [];
    const seen = new Map<string, number>();
    ordered.forEach((t, i) => {
      const pos = offsets[i]! >= 0 ? where(offsets[i]!, 0) : `${source}: policy #${i + 1}`;
      const json = cedar.policyToJson(t);
      if (json.type === 'failure') {
        problems.push(...json.errors.map((e) => `${pos}: ${e.message}`));
        return;
      }
      const ann = json.json.annotations ?? {};
      const id = ann.id;
      if (typeof id === 'string' && id !== '') ids[i] = id;
      if (typeof id !== 'string' || id === '') {
        problems.push(
          `${pos}: policy #${i + 1} has no @id("...") annotation; every policy needs one (it names the rule in refusals and audit events)`,
        );
        return;
      }
      if (!ID_RE.test(id) || id.startsWith('cedar:')) {
        problems.push(
          `${pos}: policy @id("${id}"): an id is 1-128 letters, digits or . _ : / @ + - and does not start with "cedar:"`,
        );
        return;
      }
      if (seen.has(id)) {
        problems.push(
          `${pos}: duplicate @id("${id}") (first used by policy #${seen.get(id)! + 1})`,
        );
        return;
      }
      seen.set(id, i);
      if ('approval' in ann) {
        if (ann.approval !== 'required')
          problems.push(
            `${pos}: policy "${id}": @approval must be "required" (got ${JSON.stringify(ann.approval)})`,
          );
        else if (json.json.effect !== 'permit')
          problems.push(`${pos}: policy "${id}": @approval applies to permit policies only`);
      }
      policies.push({ id, text: t, json: json.json });
    });
    // Validate the text as written (Cedar's own ids policy0, policy1, ... and positions in the
    // file), so that one run reports every problem; name each policy by its @id where it has one.
    const v = cedar.validate({
      schema: BATON_SCHEMA,
      policies: { staticPolicies: text },
      validationSettings: { mode: 'strict' },
    });
    if (v.type === 'failure')
      throw new PolicyLoadError(source, [...problems, ...v.errors.map((e) => describe(e, where))]);
    const name = (cedarId: string) => {
      const i = Number(cedarId.replace(/^policy/, ''));
      const id = Number.isInteger(i) ? ids[i] : undefined;
      return id !== undefined
        ? `policy "${id}"`
        : Number.isInteger(i)
          ? `policy #${i + 1}`
          : cedarId;
    };
    problems.push(...merge(v.validationErrors.map((e) => describeValidation(e, where, name))));
    if (problems.length) throw new PolicyLoadError(source, problems);
    const warnings = [
      ...merge(v.validationWarnings.map((e) => describeValidation(e, where, name))),
      ...v.otherWarnings.map((e) => e.message),
      ...(policies.length === 0
        ? [`${source}: no policies: every request that reaches Cedar is refused`]
        : []),
    ];
    const byId: Record<string, string> = Object.fromEntries(policies.map((p) => [p.id, p.text]));

    // Kept by cedar-wasm in thread-local storage under this id for the life of the process (it
    // has no call to drop one): a few KB per distinct version loaded. The id is the full text
    // hash, so a version loaded again reuses its slot.
    const pre = cedar.preparsePolicySet(`baton:${fullHash}`, { staticPolicies: byId });
    if (pre.type === 'failure')
      throw new PolicyLoadError(
        source,
        pre.errors.map((e) => describe(e, where)),
      );

    return new CedarPolicySet(
      fullHash.slice(0, 12),
      source,
      fullHash,
      policies,
      warnings,
      opts.cacheSize ?? DEFAULT_CACHE_SIZE,
    );
  }

  /**
   * Cedar's answer for one request. forbid wins over permit; nothing permitting is a deny
   * (`cedar:no-permit`); an evaluation error in any policy is a deny naming that policy
   * (fail closed: Cedar alone would skip the erroring policy, which for a forbid would allow).
   *
   * Decisions are cached in this set (so a new version never answers from an old version's
   * cache), keyed by the principal, action, resource and the context fields the policies read.
   * If any policy reads `context.time` or `context.authorization_details`, nothing is cached.
   */
  decide(req: PolicyRequest): PolicyDecision {
    const context = cedarContext(req.context, this.contextReads);
    const key = this.cacheable ? this.key(req, context) : undefined;
    if (key !== undefined) {
      const hit = this.cache.get(key);
      if (hit) {
        this.hits++;
        return { ...hit, cached: true };
      }
      this.misses++;
    }
    const decision = this.evaluate(req, context);
    if (key !== undefined && !decision.errors) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, decision);
    }
    return decision;
  }

  /** Decision cache counters (for metrics). */
  cacheStats(): { size: number; hits: number; misses: number; enabled: boolean } {
    return { size: this.cache.size, hits: this.hits, misses: this.misses, enabled: this.cacheable };
  }

  private evaluate(req: PolicyRequest, context: cedar.Context): PolicyDecision {
    const principal = { type: 'Baton::Agent', id: req.principal.id };
    const resource = { type: `Baton::${req.resource.type}`, id: req.resource.id };
    // Converting the request into cedar-wasm costs far more than evaluating the policies (each
    // context field and entity adds tens of µs), so only what some policy reads is passed: the
    // context fields in `contextReads`, and an entity only if its attributes are read. A missing
    // entity still compares by uid (`principal == ...`, `in`), and carries no attributes or parents.
    const entities: cedar.EntityJson[] = [];
    if (this.principalAttrs)
      entities.push({ uid: principal, attrs: entityAttrs(req.principal), parents: [] });
    if (this.resourceAttrs && req.resource.type === 'Tool')
      entities.push({
        uid: resource,
        attrs: { name: req.resource.name, ...entityAttrs(req.resource) },
        parents: [],
      });
    let answer: cedar.AuthorizationAnswer;
    try {
      // No schema here: the policies were validated against it at load, and `cedarContext`
      // builds the context in its shape. Request validation would double the cost of a decision.
      answer = cedar.statefulIsAuthorized({
        principal,
        action: { type: 'Baton::Action', id: req.action },
        resource,
        context,
        entities,
        preparsedPolicySetId: this.psetId,
      });
    } catch (e) {
      return {
        allow: false,
        rule: CEDAR_ERROR,
        approval: false,
        cached: false,
        errors: [(e as Error).message],
      };
    }
    if (answer.type === 'failure')
      return {
        allow: false,
        rule: CEDAR_ERROR,
        approval: false,
        cached: false,
        errors: answer.errors.map((e) => e.message),
      };
    const { decision, diagnostics } = answer.response;
    if (diagnostics.errors.length) {
      const ids = [...new Set(diagnostics.errors.map((e) => e.policyId))].sort();
      return {
        allow: false,
        rule: ids.join(','),
        approval: false,
        cached: false,
        errors: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`),
      };
    }
    const reason = [...diagnostics.reason].sort();
    if (decision === 'allow')
      return {
        allow: true,
        rule: reason.join(','),
        approval: reason.some((id) => this.approvalIds.has(id)),
        cached: false,
      };
    return {
      allow: false,
      rule: reason.length ? reason.join(',') : NO_PERMIT,
      approval: false,
      cached: false,
    };
  }

  /** The cache key: action, agent, tool (or task) and the context as passed to Cedar (only what is read). */
  private key(req: PolicyRequest, context: cedar.Context): string {
    const r = req.resource;
    const parts: unknown[] = [
      req.action,
      req.principal.id,
      req.principal.tenant,
      sorted(req.principal.labels),
    ];
    if (r.type === 'Tool') parts.push('T', r.id, r.name, r.tenant, sorted(r.labels));
    else parts.push('K', this.keyTaskId ? r.id : '');
    parts.push(context);
    return JSON.stringify(parts);
  }
}
