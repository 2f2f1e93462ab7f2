import {
  CedarPolicySet,
  PolicyLoadError,
  timeContext,
  userClaims,
  type PolicyAction,
  type PolicyAuthorizationDetail,
  type PolicyRequest,
} from './engine.js';

/**
 * `baton policy check FILE [question]`: validate a policy set before deploying it and, given a
 * question ("may agent X get tool Y with scopes Z for this user?"), answer it with the deciding
 * rule. The CLI parses its flags into a PolicyQuestion and prints `formatCheck(result)`.
 */

export interface PolicyQuestion {
  /** The agent asking (principal); for hand_off, the agent taking the task. */
  agent: string;
  /** Default: `exchange` when a tool is given, else `start_task`. */
  action?: PolicyAction;
  /** exchange: the tool's resource URI (or its name). */
  tool?: string;
  /** The tool's config name (`resource.name`); default: `tool`. */
  toolName?: string;
  /** Space-separated, as in the `scope` parameter, or a list. */
  scope?: string | string[];
  /** The user token's claims; `sub` and `iss` get placeholders when absent. */
  userClaims?: Record<string, unknown>;
  purpose?: string;
  /** hand_off: the current actor handing the task on. */
  from?: string;
  /** The whole act chain (default: the agent, plus `from` for a hand-off). */
  act?: string[];
  /** Default: the length of the act chain. */
  depth?: number;
  agentAttributes?: { tenant?: string; labels?: string[] };
  toolAttributes?: { tenant?: string; labels?: string[] };
  /** Default: now. */
  time?: Date;
  authorizationDetails?: PolicyAuthorizationDetail[];
  /** The task's txn (start_task / hand_off resource). */
  task?: string;
}

export interface CheckAnswer {
  allow: boolean;
  rule: string;
  approval: boolean;
  /** Evaluation errors, when a policy failed on this request. */
  errors?: string[];
  /** The request as Cedar saw it. */
  request: PolicyRequest;
}

export type CheckResult =
  | {
      ok: true;
      version: string;
      policies: string[];
      warnings: string[];
      /** Whether this set's decisions can be cached (it reads neither time nor authorization details). */
      cacheable: boolean;
      answer?: CheckAnswer;
    }
  | { ok: false; problems: string[] };

/** A question that cannot be asked (e.g. exchange without a tool). */
export class PolicyQuestionError extends Error {
  override name = 'PolicyQuestionError';
}

export function checkPolicy(
  text: string,
  question?: PolicyQuestion,
  source = 'policy',
): CheckResult {
  let set: CedarPolicySet;
  try {
    set = CedarPolicySet.load(text, source, { cacheSize: 0 });
  } catch (e) {
    if (e instanceof PolicyLoadError) return { ok: false, problems: e.problems };
    throw e;
  }
  const result: CheckResult = {
    ok: true,
    version: set.version,
    policies: [...set.ids],
    warnings: [...set.warnings],
    cacheable: !set.readsTime && !set.readsDetails,
  };
  if (question) {
    const request = questionToRequest(question);
    const d = set.decide(request);
    result.answer = {
      allow: d.allow,
      rule: d.rule,
      approval: d.approval,
      ...(d.errors ? { errors: d.errors } : {}),
      request,
    };
  }
  return result;
}

export function questionToRequest(q: PolicyQuestion): PolicyRequest {
  const action: PolicyAction = q.action ?? (q.tool !== undefined ? 'exchange' : 'start_task');
  if (action === 'exchange' && q.tool === undefined)
    throw new PolicyQuestionError('an exchange question names a tool (--tool)');
  if (action === 'hand_off' && q.from === undefined && q.act === undefined)
    throw new PolicyQuestionError('a hand_off question names the current actor (--from)');
  const act = q.act ?? (action === 'hand_off' ? [q.agent, q.from!] : [q.agent]);
  const scopes = typeof q.scope === 'string' ? q.scope.split(' ').filter(Boolean) : (q.scope ?? []);
  const user = userClaims({
    sub: 'policy-check-user',
    iss: 'https://policy-check.invalid',
    ...q.userClaims,
  });
  const resource: PolicyRequest['resource'] =
    action === 'exchange'
      ? { type: 'Tool', id: q.tool!, name: q.toolName ?? q.tool!, ...q.toolAttributes }
      : { type: 'Task', id: q.task ?? 'policy-check-task' };
  return {
    principal: { id: q.agent, ...q.agentAttributes },
    action,
    resource,
    context: {
      scopes,
      user,
      act,
      current_actor: q.from ?? q.agent,
      depth: q.depth ?? act.length,
      ...(q.purpose !== undefined ? { purpose: q.purpose } : {}),
      ...(action === 'exchange' ? { tool: q.tool! } : {}),
      time: timeContext(q.time),
      ...(q.authorizationDetails ? { authorization_details: q.authorizationDetails } : {}),
    },
  };
}

/** Human-readable lines for the CLI. Exit status: 0 valid (and allowed, if asked), 1 otherwise. */
export function formatCheck(r: CheckResult): { text: string; exitCode: number } {
  if (!r.ok)
    return {
      text: ['policy is INVALID:', ...r.problems.map((p) => `  ${p}`)].join('\n'),
      exitCode: 1,
    };
  const lines = [
    `policy is valid: version ${r.version}, ${r.policies.length} policies (${r.policies.join(', ')})`,
  ];
  if (!r.cacheable)
    lines.push(
      'note: it reads context.time or context.authorization_details, so its decisions are made on every request (not cached)',
    );
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (!r.answer) return { text: lines.join('\n'), exitCode: 0 };
  const a = r.answer;
  const what =
    a.request.resource.type === 'Tool'
      ? `${a.request.action} ${a.request.resource.id}`
      : a.request.action;
  lines.push(
    `${a.allow ? 'ALLOW' : 'DENY'}: ${a.request.principal.id} ${what} [${a.request.context.scopes.join(' ')}] — rule ${a.rule}${a.approval ? " (needs a person's approval)" : ''}`,
  );
  for (const e of a.errors ?? []) lines.push(`error: ${e}`);
  return { text: lines.join('\n'), exitCode: a.allow ? 0 : 1 };
}
