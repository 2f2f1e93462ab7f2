import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { loadConfigFile } from '../../config/load.js';
import { BatonError } from '../../errors.js';
import { checkHandOff, taskStartScopes, toolGrant } from '../../policy/ceilings.js';
import type { PolicyQuestion } from '../../policy/cedar/check.js';
import { configFile, globals } from '../globals.js';
import { printJson, printLine } from '../output.js';
import { UsageError } from '../usage.js';

const ACTIONS = ['start_task', 'exchange', 'hand_off'] as const;
type Action = (typeof ACTIONS)[number];

interface Flags {
  agent?: string;
  action?: string;
  tool?: string;
  toolName?: string;
  scope?: string;
  userClaims?: string;
  agentTenant?: string;
  purpose?: string;
  from?: string;
}

function readPolicy(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `no policy file at ${file}` : `cannot read ${file} (${code ?? 'error'})`,
    );
  }
}

/**
 * The config's ceilings, as the server applies them before Cedar (src/policy/ceilings.ts): the
 * scopes Cedar would see, or the refusal with its rule. Unknown agents and tools are usage
 * errors: the server would refuse them before any policy is read.
 */
function ceilings(
  config: Config,
  action: Action,
  f: Flags,
  userScopes: string[] | undefined,
): { question: Partial<PolicyQuestion>; refused?: string; rule?: string; approval: boolean } {
  const agent = config.agents.find((a) => a.id === f.agent);
  if (!agent)
    throw new UsageError(
      `unknown agent "${f.agent}"; configured: ${config.agents.map((a) => a.id).join(', ')}`,
    );
  const requested = f.scope?.split(' ').filter(Boolean);
  const base: Partial<PolicyQuestion> = { agentAttributes: agent.attributes };
  try {
    if (action === 'exchange') {
      const tool = config.tools.find((t) => t.resource === f.tool || t.name === f.tool);
      if (!tool)
        throw new UsageError(
          `unknown tool "${f.tool}"; configured: ${config.tools.map((t) => t.name ?? t.resource).join(', ') || 'none'}`,
        );
      // The task's scopes: the user's (when given) cut with what the agent may hold for a task.
      const taskScopes = userScopes
        ? agent.taskScopes.filter((s) => userScopes.includes(s))
        : agent.taskScopes;
      const g = toolGrant(config, agent, tool, tool.resource, taskScopes, requested);
      return {
        question: {
          ...base,
          tool: tool.resource,
          toolName: tool.name ?? tool.resource,
          toolAttributes: tool.attributes,
          scope: g.scopes,
        },
        approval: g.requireApproval,
      };
    }
    if (action === 'hand_off') {
      if (!f.from) throw new UsageError('a hand_off question names the current actor (--from)');
      const from = config.agents.find((a) => a.id === f.from);
      if (!from) throw new UsageError(`unknown agent "${f.from}" (--from)`);
      checkHandOff(config, from, agent, 2);
      return { question: { ...base, ...(requested ? { scope: requested } : {}) }, approval: false };
    }
    const scopes = taskStartScopes(agent, userScopes ?? agent.taskScopes, requested);
    return { question: { ...base, scope: scopes }, approval: false };
  } catch (e) {
    if (e instanceof BatonError)
      return { question: base, refused: e.description, rule: e.rule ?? 'config', approval: false };
    throw e;
  }
}

/** `baton policy check [FILE]`: validate a Cedar set; with --agent, answer as the server would. */
export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('Cedar policy sets');
  policy
    .command('check [file]')
    .description(
      'validate a policy set (FILE, else the config\'s policy.cedarFile); with --agent, answer "may agent X get tool Y with scopes Z for this user?" — with --config / BATON_CONFIG, as the server decides (its ceilings first)',
    )
    .option('--agent <id>', 'the agent asking (for hand_off: the agent taking the task)')
    .option(
      '--action <action>',
      'start_task | exchange | hand_off (default: exchange with --tool, else start_task)',
    )
    .option('--tool <tool>', "the tool's resource URI (or, with a config, its name)")
    .option(
      '--tool-name <name>',
      "the tool's config name (without a config: what policies read as resource.name)",
    )
    .option('--scope <scopes>', 'space-separated scopes')
    .option(
      '--user-claims <json>',
      'the user token\'s claims, e.g. \'{"tenant":"acme","scope":"tickets:read"}\'',
    )
    .option('--agent-tenant <tenant>', "the agent's attributes.tenant (without a config)")
    .option('--purpose <text>', "the task's purpose")
    .option('--from <id>', 'hand_off: the current actor handing the task on')
    .action(async (fileArg: string | undefined, f: Flags, cmd: Command) => {
      const { checkPolicy, formatCheck, PolicyQuestionError } = await import(
        '../../policy/cedar/check.js'
      );
      if (f.action !== undefined && !ACTIONS.includes(f.action as Action))
        throw new UsageError(
          `--action must be start_task, exchange or hand_off (got "${f.action}")`,
        );
      let userClaims: Record<string, unknown> | undefined;
      try {
        userClaims = f.userClaims
          ? (JSON.parse(f.userClaims) as Record<string, unknown>)
          : undefined;
      } catch {
        throw new UsageError('--user-claims must be a JSON object');
      }
      const cfgPath = configFile(cmd);
      const config = cfgPath ? loadConfigFile(cfgPath) : undefined;
      const file = fileArg ?? config?.policy.cedarFile;
      if (!file)
        throw new UsageError(
          config
            ? `${cfgPath} names no policy.cedarFile; give FILE`
            : 'give FILE, or --config with a policy.cedarFile',
        );
      const text = readPolicy(file);
      const action: Action =
        (f.action as Action | undefined) ?? (f.tool ? 'exchange' : 'start_task');
      let question: PolicyQuestion | undefined;
      let ceiling: ReturnType<typeof ceilings> | undefined;
      if (f.agent) {
        const userScopes =
          typeof userClaims?.scope === 'string'
            ? userClaims.scope.split(' ').filter(Boolean)
            : undefined;
        ceiling = config ? ceilings(config, action, f, userScopes) : undefined;
        question = {
          agent: f.agent,
          action,
          ...(f.tool ? { tool: f.tool } : {}),
          ...(f.toolName ? { toolName: f.toolName } : {}),
          ...(f.scope ? { scope: f.scope } : {}),
          ...(f.agentTenant ? { agentAttributes: { tenant: f.agentTenant } } : {}),
          ...(userClaims ? { userClaims } : {}),
          ...(f.purpose ? { purpose: f.purpose } : {}),
          ...(f.from ? { from: f.from } : {}),
          ...(ceiling?.question ?? {}),
        };
      }
      let result: ReturnType<typeof checkPolicy>;
      try {
        result = checkPolicy(text, ceiling?.refused ? undefined : question, file);
      } catch (e) {
        if (e instanceof PolicyQuestionError) throw new UsageError(e.message);
        throw e;
      }
      const out = formatCheck(result);
      let text2 = out.text;
      let exitCode = out.exitCode;
      if (ceiling?.refused && result.ok) {
        text2 += `\nDENY: ${f.agent} ${action}${f.tool ? ` ${f.tool}` : ''} — ${ceiling.refused} (config, before Cedar)`;
        exitCode = 1;
      } else if (ceiling?.approval && result.ok && result.answer?.allow && !result.answer.approval)
        text2 += "\nnote: the config's requireApproval asks a person's approval for this tool";
      if (globals(cmd).json)
        printJson({
          ...result,
          ...(ceiling?.refused
            ? { ceiling: { allow: false, reason: ceiling.refused, rule: ceiling.rule } }
            : {}),
          ...(ceiling?.approval ? { config_requires_approval: true } : {}),
        });
      else printLine(text2);
      process.exitCode = exitCode;
    });
}
