import { fileURLToPath } from 'node:url';
import { hashSecret } from '../auth/secrets.js';

/** The demo's Cedar policy set (also docs/policy.md's worked examples). */
export const DEMO_POLICY_FILE = fileURLToPath(
  new URL('../policy/cedar/example.cedar', import.meta.url),
);

/**
 * The demo cast (docs/walkthrough.md): one of each rule, with fixed demo-only credentials so
 * docs/walkthrough.md can be pasted as is. Never use these outside the demo.
 */
export const DEMO = {
  user: { username: 'alice@example.com', password: 'alice-demo-password' },
  /** Signs in to the console at the demo IdP (its ID token says baton_role: admin). */
  consoleAdmin: { username: 'ada@example.com' },
  adminKey: 'demo-admin-key-do-not-use-in-production',
  agents: {
    'support-agent': 'demo-support-agent-secret',
    'billing-agent': 'demo-billing-agent-secret',
    'ops-agent': 'demo-ops-agent-secret',
    'deploy-agent': 'demo-deploy-agent-secret',
  },
  tools: {
    tickets: {
      resource: 'https://tools.example.com/tickets',
      rs: 'tickets-rs',
      secret: 'demo-tickets-rs-secret',
    },
    billing: {
      resource: 'https://tools.example.com/billing',
      rs: 'billing-rs',
      secret: 'demo-billing-rs-secret',
    },
    deploy: {
      resource: 'https://tools.example.com/deploy',
      rs: 'deploy-rs',
      secret: 'demo-deploy-rs-secret',
    },
  },
} as const;

const auth = (secret: string) => ({
  method: 'client_secret_basic',
  secretHash: hashSecret(secret),
});

/** The demo's config object (validated like any config file), given the embedded IdP. */
export function demoConfig(
  issuer: string,
  idp: { issuer: string; jwksUri: string },
  port: number,
): Record<string, unknown> {
  const { tickets, billing, deploy } = DEMO.tools;
  return {
    issuer,
    policy: { cedarFile: DEMO_POLICY_FILE, watch: true },
    approvals: { intervalSeconds: 2, ttlSeconds: 600 },
    port,
    host: '127.0.0.1',
    keys: { dir: 'keys', alg: 'ES256', generateIfMissing: true },
    trustedIssuers: [
      { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: issuer, algorithms: ['ES256'] },
    ],
    agents: [
      {
        // A: works tickets; may hand a task to B. Billing is not among its tools.
        id: 'support-agent',
        auth: auth(DEMO.agents['support-agent']),
        taskScopes: ['tickets:read', 'tickets:write', 'billing:read'],
        tools: {
          [tickets.resource]: { scopes: ['tickets:read', 'tickets:write'], maxTtlSeconds: 300 },
        },
        handOffTo: ['billing-agent'],
      },
      {
        // B: reads billing for its own tenant (Cedar: billing-own-tenant), never exports
        // (Cedar: billing-never-export, though the config ceiling would allow it); may hand the task back to A.
        id: 'billing-agent',
        auth: auth(DEMO.agents['billing-agent']),
        attributes: { tenant: 'acme' },
        taskScopes: ['tickets:read', 'billing:read', 'billing:export'],
        tools: {
          [billing.resource]: { scopes: ['billing:read', 'billing:export'], maxTtlSeconds: 120 },
          [tickets.resource]: { scopes: ['tickets:read'] },
        },
        handOffTo: ['support-agent'],
      },
      {
        // C: starts its own tasks; nobody may hand work to it.
        id: 'ops-agent',
        auth: auth(DEMO.agents['ops-agent']),
        taskScopes: ['tickets:read'],
        tools: { [tickets.resource]: { scopes: ['tickets:read'] } },
        handOffTo: [],
      },
      {
        // D: deploys; production needs a person's approval (Cedar: deploy-prod-needs-approval).
        id: 'deploy-agent',
        auth: auth(DEMO.agents['deploy-agent']),
        taskScopes: ['deploy:prod'],
        tools: { [deploy.resource]: { scopes: ['deploy:prod'], maxTtlSeconds: 120 } },
        handOffTo: [],
      },
    ],
    tools: [
      {
        resource: tickets.resource,
        name: 'tickets',
        scopes: ['tickets:read', 'tickets:write'],
        resourceServer: { clientId: tickets.rs, auth: auth(tickets.secret) },
      },
      {
        resource: billing.resource,
        name: 'billing',
        scopes: ['billing:read', 'billing:export'],
        resourceServer: { clientId: billing.rs, auth: auth(billing.secret) },
      },
      {
        resource: deploy.resource,
        name: 'deploy',
        scopes: ['deploy:prod'],
        actions: ['deploy', 'rollback'],
        resourceServer: { clientId: deploy.rs, auth: auth(deploy.secret) },
      },
    ],
    admin: {
      keys: [{ name: 'demo-admin-key', keyHash: hashSecret(DEMO.adminKey), role: 'admin' }],
      // The console's login at the embedded IdP (docs/console.md): plain http on loopback.
      oidc: {
        issuer: idp.issuer,
        clientId: 'baton-console',
        redirectUri: `${issuer.replace(/\/$/, '')}/console/callback`,
        roleClaim: 'baton_role',
        scopes: ['openid', 'email', 'baton'],
        allowInsecureRequests: true,
      },
    },
  };
}

/** Printed once on stdout at demo start, outside the structured log. */
export function demoBanner(baton: string, idpCurl: string, storeKind: string): string {
  const { tickets, billing, deploy } = DEMO.tools;
  return [
    '',
    '==================== BATON DEMO (demo-only credentials) ====================',
    `Baton:        ${baton}   (store: ${storeKind})`,
    `Get alice's user token from the embedded IdP:`,
    `  ${idpCurl}`,
    'Agents (client_secret_basic):',
    `  support-agent : ${DEMO.agents['support-agent']}   tools: tickets; may hand off to billing-agent`,
    `  billing-agent : ${DEMO.agents['billing-agent']}   tools: billing, tickets(read); may hand off to support-agent`,
    `  ops-agent     : ${DEMO.agents['ops-agent']}       nobody may hand work to it`,
    `  deploy-agent  : ${DEMO.agents['deploy-agent']}    deploy to production needs an admin's approval`,
    'Tools and their resource servers (for /introspect):',
    `  ${tickets.resource}  ${tickets.rs} : ${tickets.secret}`,
    `  ${billing.resource}  ${billing.rs} : ${billing.secret}   (not allowed to support-agent)`,
    `  ${deploy.resource}   ${deploy.rs} : ${deploy.secret}`,
    `Cedar policy set: ${DEMO_POLICY_FILE} (edit it while Baton runs: it reloads)`,
    `Admin key (Authorization: Bearer ...): ${DEMO.adminKey}`,
    `Console: ${baton}/console/  (sign in as ${DEMO.consoleAdmin.username} at the demo IdP, or with the admin key)`,
    'Walkthrough: README.md, "Try it". These credentials are public: never use them outside the demo.',
    '=============================================================================',
    '',
  ].join('\n');
}
