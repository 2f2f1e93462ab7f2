import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { generateSecret, hashSecret } from '../../auth/secrets.js';
import { DEFAULTS } from '../../config/defaults.js';
import { generateKeyFile } from '../../keys/keyset.js';
import { globals } from '../globals.js';
import { printJson, printLine, progress } from '../output.js';
import { CliError, UsageError } from '../usage.js';

interface InitFlags {
  issuer?: string;
  jwksUri?: string;
  audience?: string;
  batonUrl: string;
  agent: string;
  tool: string;
  toolName: string;
  scopes: string;
  dir: string;
  force?: boolean;
}

/** The example policy set: what the config allows, with one place to add conditions. */
export const EXAMPLE_CEDAR = `// Baton's Cedar policies (docs/policy.md). They are read after the config's ceilings: a request
// reaches them only when the config already allows it. A request no policy permits is refused;
// \`forbid\` wins over \`permit\`. Check a question before deploying:
//   baton policy check --config baton.yaml --agent AGENT --tool TOOL --scope SCOPE

@id("start-task")
permit (principal, action == Baton::Action::"start_task", resource);

@id("hand-off")
permit (principal, action == Baton::Action::"hand_off", resource);

// Every tool exchange the config allows. Narrow it with conditions, e.g.
//   when { principal has tenant && context.user has tenant && principal.tenant == context.user.tenant }
@id("tools")
permit (principal, action == Baton::Action::"exchange", resource);
`;

const isUrl = (v: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
};

/** The IdP's jwks_uri from its OpenID discovery document (OpenID Connect Discovery 1.0 §4). */
async function discoverJwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(DEFAULTS.upstreamJwksTimeoutMs) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = (await res.json()) as { jwks_uri?: unknown; issuer?: unknown };
    if (typeof doc.jwks_uri !== 'string') throw new Error('no jwks_uri in it');
    return doc.jwks_uri;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new CliError(`cannot read ${url} (${cause}); give the IdP's JWKS with --jwks-uri`);
  }
}

/** Asks for the issuer when a person is at the terminal; a script must pass --issuer. */
async function askIssuer(): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError("--issuer is required (your IdP's issuer URL)");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question("Your IdP's issuer URL (the iss of your users' tokens): ")).trim();
  } finally {
    rl.close();
  }
}

/**
 * `baton init`: a working starting point for the user's own IdP: baton.yaml with one agent and
 * one tool (secrets generated, printed once, only their hashes stored), an admin key, a
 * signing key, an example Cedar file, and the next steps (docs/deploy.md walks them).
 */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'write a config for your IdP: one agent, one tool, an admin key, a signing key, a Cedar file',
    )
    .option('--issuer <url>', "your IdP's issuer (asked when missing and a terminal is attached)")
    .option('--jwks-uri <url>', "the IdP's JWKS (default: its discovery document's jwks_uri)")
    .option('--audience <aud>', "the aud of your users' tokens (default: Baton's URL)")
    .option('--baton-url <url>', "Baton's own issuer URL", `http://localhost:${DEFAULTS.port}`)
    .option('--agent <id>', 'the first agent', 'my-agent')
    .option('--tool <uri>', "the first tool's resource URI", 'https://api.example.com/')
    .option('--tool-name <name>', "the tool's name (what policies read)", 'api')
    .option('--scopes <scopes>', 'space-separated scopes of the tool', 'api:read')
    .option('--dir <dir>', 'where to write baton.yaml, policy.cedar and keys/', '.')
    .option('--force', 'overwrite an existing baton.yaml')
    .action(async (f: InitFlags, cmd: Command) => {
      const g = globals(cmd);
      const issuer = f.issuer ?? (await askIssuer());
      for (const [flag, v] of [
        ['--issuer', issuer],
        ['--baton-url', f.batonUrl],
        ['--tool', f.tool],
        ...(f.jwksUri ? [['--jwks-uri', f.jwksUri]] : []),
      ] as [string, string][])
        if (!isUrl(v)) throw new UsageError(`${flag} must be an http(s) URL (got "${v}")`);
      const scopes = f.scopes.split(' ').filter(Boolean);
      if (!scopes.length) throw new UsageError('--scopes names at least one scope');
      const dir = resolve(f.dir);
      const configPath = join(dir, 'baton.yaml');
      if (existsSync(configPath) && !f.force)
        throw new UsageError(`${configPath} exists; pass --force to overwrite it`);
      progress(`reading ${issuer}'s discovery document…`, g.json);
      const jwksUri = f.jwksUri ?? (await discoverJwksUri(issuer));

      const secrets = {
        agent: generateSecret(),
        resourceServer: generateSecret(),
        admin: generateSecret(),
      };
      const rsId = `${f.toolName}-rs`;
      const config = {
        issuer: f.batonUrl,
        port: Number(new URL(f.batonUrl).port || DEFAULTS.port),
        host: DEFAULTS.host,
        store: { kind: 'memory' },
        keys: { dir: join(dir, 'keys'), alg: DEFAULTS.keyAlg },
        trustedIssuers: [{ issuer, jwksUri, audience: f.audience ?? f.batonUrl }],
        agents: [
          {
            id: f.agent,
            auth: { method: 'client_secret_basic', secretHash: hashSecret(secrets.agent) },
            taskScopes: scopes,
            tools: { [f.tool]: { scopes } },
          },
        ],
        tools: [
          {
            resource: f.tool,
            name: f.toolName,
            scopes,
            resourceServer: {
              clientId: rsId,
              auth: {
                method: 'client_secret_basic',
                secretHash: hashSecret(secrets.resourceServer),
              },
            },
          },
        ],
        admin: { keys: [{ name: 'admin', keyHash: hashSecret(secrets.admin), role: 'admin' }] },
        policy: { cedarFile: 'policy.cedar' },
      };
      mkdirSync(dir, { recursive: true });
      // The config holds only hashes, but it says who may do what: owner-only like the keys.
      writeFileSync(
        configPath,
        `# Written by baton init; fields in docs/configuration.md.\n${stringify(config)}`,
        { mode: 0o600 },
      );
      const cedarPath = join(dir, 'policy.cedar');
      if (!existsSync(cedarPath) || f.force)
        writeFileSync(cedarPath, EXAMPLE_CEDAR, { mode: 0o644 });
      const key = await generateKeyFile(join(dir, 'keys'), DEFAULTS.keyAlg);

      const files = {
        config: configPath,
        policy: cedarPath,
        key: join(dir, 'keys', `${key.kid}.json`),
      };
      if (g.json)
        return printJson({
          files,
          agent: { client_id: f.agent, client_secret: secrets.agent },
          resource_server: { client_id: rsId, client_secret: secrets.resourceServer },
          admin_key: secrets.admin,
        });
      printLine(
        [
          `wrote ${configPath}, ${cedarPath} and key ${key.kid} in ${join(dir, 'keys')}`,
          '',
          'Secrets, shown this once (only their hashes are in the config): store them now.',
          `  agent ${f.agent}:            ${secrets.agent}`,
          `  resource server ${rsId}:  ${secrets.resourceServer}`,
          `  admin key (BATON_ADMIN_KEY): ${secrets.admin}`,
          '',
          'Next steps (docs/deploy.md):',
          `  1. baton config check ${configPath}`,
          `  2. BATON_CONFIG=${configPath} baton serve`,
          `  3. exchange a user token of ${issuer} (aud ${f.audience ?? f.batonUrl}, scope "${scopes.join(' ')}") for a task token:`,
          `     curl -u ${f.agent}:<secret> -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \\`,
          `       -d subject_token_type=urn:ietf:params:oauth:token-type:access_token -d subject_token=<user token> \\`,
          `       -d audience=${f.batonUrl} ${f.batonUrl}/token`,
          `  4. BATON_URL=${f.batonUrl} BATON_ADMIN_KEY=<admin key> baton tasks list`,
        ].join('\n'),
      );
    });
}
