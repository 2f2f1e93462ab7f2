import { normalizeResourceUri } from '../protocol/resource-uri.js';
import { z } from 'zod';
import { DEFAULTS, THREAD_POOL_SETTINGS } from './defaults.js';
import { TOOL_ACTION_PATTERN } from '../protocol/tool-call.js';

/** Asymmetric algorithms only: HMAC with a published key is the classic confusion attack (RFC 8725 §2.1). */
export const ASYMMETRIC_ALGS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  // RFC 9864's fully-specified name for EdDSA over Ed25519: what oauth4webapi and WebCrypto
  // clients now put in a proof's alg for an Ed25519 key.
  'Ed25519',
] as const;
const Alg = z.enum(ASYMMETRIC_ALGS);
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const Url = z.url({ protocol: /^https?$/ });
const Id = z
  .string()
  .regex(/^[A-Za-z0-9._:@-]{1,128}$/, 'letters, digits and . _ : @ - only (1-128 chars)');
const Scope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'an RFC 6749 scope token');
/** `sha256:` + base64url of SHA-256(secret); secrets are generated with >= 256 bits (see `baton secret`). */
const SecretHash = z
  .string()
  .regex(/^sha256:[A-Za-z0-9_-]{43}$/, 'sha256:<base64url digest>, from `baton secret`');
const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) });
const Seconds = z.number().int().positive();

/** A rate-limit budget: at most `requests` per fixed window of `windowSeconds`. */
export const BudgetSchema = z
  .object({
    requests: z.number().int().positive(),
    windowSeconds: Seconds.max(86_400).default(DEFAULTS.rateLimitWindowSeconds),
  })
  .strict();
const budget = (requests: number) =>
  BudgetSchema.prefault({ requests, windowSeconds: DEFAULTS.rateLimitWindowSeconds });

export const RateLimitsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Per authenticated client, over /token, /introspect, /revoke and task completion. */
    agent: budget(DEFAULTS.rateLimitAgentRequests),
    resourceServer: budget(DEFAULTS.rateLimitResourceServerRequests),
    /** Connection attempts to GET /revocations, per client. */
    feedConnections: budget(DEFAULTS.rateLimitFeedConnections),
    authFailures: z
      .object({
        perAddress: budget(DEFAULTS.rateLimitAuthFailuresPerAddress),
        perClient: budget(DEFAULTS.rateLimitAuthFailuresPerClient),
      })
      .strict()
      .prefault({}),
    lease: z.number().int().min(1).max(10_000).default(DEFAULTS.rateLimitLease),
    storeTimeoutMs: z.number().int().positive().default(DEFAULTS.rateLimitStoreTimeoutMs),
  })
  .strict();

export const ClientAuthSchema = z.discriminatedUnion('method', [
  z
    .object({
      method: z.enum(['client_secret_basic', 'client_secret_post']),
      secretHash: SecretHash,
    })
    .strict(),
  z.object({ method: z.literal('private_key_jwt'), jwks: Jwks }).strict(),
]);

export const ToolRuleSchema = z
  .object({
    scopes: z.array(Scope).min(1),
    maxTtlSeconds: Seconds.optional(),
    /** Every token for this tool needs a person's approval first. */
    requireApproval: z.boolean().default(false),
  })
  .strict();

/** Attributes Cedar policies can read of an agent or tool entity. */
const EntityAttributes = z
  .object({ tenant: z.string().optional(), labels: z.array(z.string()).optional() })
  .strict();

export const AgentSchema = z
  .object({
    id: Id,
    auth: ClientAuthSchema,
    /** Scopes this agent may hold for a task (cut with the user's scopes). */
    taskScopes: z.array(Scope).default([]),
    /** Tools (by resource URI) it may get tokens for. */
    tools: z.record(Url, ToolRuleSchema).default({}),
    /** Agents it may hand a task to. */
    handOffTo: z.array(Id).default([]),
    /** May present an actor_token naming another agent (RFC 8693 §2.1). */
    mayPresentActorTokens: z.boolean().default(false),
    /** A disabled agent authenticates nowhere. */
    disabled: z.boolean().default(false),
    attributes: EntityAttributes.default({}),
    /** This agent's own budget, over `rateLimits.agent`. */
    rateLimit: BudgetSchema.optional(),
    /** RFC 9449 §5.2 `dpop_bound_access_tokens`: `required` refuses its requests without a proof. */
    dpop: z.enum(['optional', 'required']).optional(),
  })
  .strict();

export const ToolSchema = z
  .object({
    resource: Url,
    name: Id.optional(),
    scopes: z.array(Scope).min(1),
    /** The credentials its resource server uses at /introspect and on the revocation feed. */
    resourceServer: z
      .object({ clientId: Id, auth: ClientAuthSchema, rateLimit: BudgetSchema.optional() })
      .strict(),
    /** The actions a `tool_call` authorization detail may name (any when absent). */
    actions: z.array(z.string().regex(TOOL_ACTION_PATTERN)).optional(),
    maxArgumentsBytes: z
      .number()
      .int()
      .positive()
      .max(DEFAULTS.maxAuthorizationDetailsBytes)
      .optional(),
    attributes: EntityAttributes.default({}),
    /** RFC 9728 `dpop_bound_access_tokens_required`: Baton issues this tool DPoP-bound tokens only. */
    dpopRequired: z.boolean().default(false),
  })
  .strict();

export const TrustedIssuerSchema = z
  .object({
    issuer: Url,
    jwksUri: Url.optional(),
    jwks: Jwks.optional(),
    audience: z.union([z.string(), z.array(z.string()).min(1)]),
    algorithms: z
      .array(Alg)
      .min(1)
      .default([...DEFAULTS.upstreamAlgorithms]),
    /** Prepended to `sub`, so users of two issuers cannot collide; required when several issuers are trusted. */
    subjectPrefix: z.string().max(64).default(''),
    /**
     * This issuer may vouch for agents: its tokens are accepted as `actor_token`, naming the agent
     * by `sub`. Off by default, so an ordinary user whose `sub` happens to equal an agent id
     * cannot be presented as that agent.
     */
    actorTokens: z.boolean().default(false),
  })
  .strict()
  .refine((t) => (t.jwksUri ? 1 : 0) + (t.jwks ? 1 : 0) === 1, {
    message: 'give exactly one of jwksUri or jwks',
  });

export const StoreSchema = z
  .object({
    kind: z.enum(['memory', 'redis']).default(DEFAULTS.storeKind),
    url: z.string().optional(),
    cluster: z
      .array(z.object({ host: z.string(), port: z.number().int() }))
      .min(1)
      .optional(),
    sentinel: z
      .object({
        name: z.string(),
        sentinels: z.array(z.object({ host: z.string(), port: z.number().int() })).min(1),
        password: z.string().optional(),
      })
      .optional(),
    prefix: z.string().default(DEFAULTS.redisPrefix),
    /** One budget for all the store work of a request; past it, 503 (docs/configuration.md). */
    requestTimeoutMs: z.number().int().min(1).default(DEFAULTS.storeRequestTimeoutMs),
    /** /readyz's ping timeout, on a connection of its own. */
    pingTimeoutMs: z.number().int().min(1).default(DEFAULTS.storePingTimeoutMs),
    /** Shards per hour of the task index on Redis (docs/architecture.md, "The task index"). */
    taskIndexShards: z.number().int().min(1).max(256).default(DEFAULTS.taskIndexShards),
  })
  .strict();

const AdminRoleName = z.enum(['viewer', 'approver', 'admin']);

/** The admin API's identities (docs/admin-api.md): named keys, the console's OIDC login, sessions. */
const AdminSchema = z
  .object({
    /** Unnamed admin keys (the first form): each acts with role `admin`, named `key-<n>`. */
    keyHashes: z.array(SecretHash).min(1).optional(),
    /** Named keys, so an audit event names who acted, each with its role. */
    keys: z
      .array(
        z
          .object({
            name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/),
            keyHash: SecretHash,
            role: AdminRoleName.default('admin'),
          })
          .strict(),
      )
      .min(1)
      .optional(),
    /** The console's login with the company IdP: OIDC authorization code + PKCE. */
    oidc: z
      .object({
        issuer: Url,
        clientId: z.string().min(1),
        /** Absent: a public client (PKCE only). */
        clientSecret: z.string().min(1).optional(),
        /** Where the IdP sends the browser back; default `<issuer of Baton>/console/callback`. */
        redirectUri: Url.optional(),
        /** The ID token claim holding the role (a string or an array; the highest counts). */
        roleClaim: z.string().min(1).default(DEFAULTS.oidcRoleClaim),
        scopes: z.array(z.string()).default(['openid', 'profile']),
        /** Demo only: the IdP is plain http on loopback. */
        allowInsecureRequests: z.boolean().default(false),
      })
      .strict()
      .optional(),
    session: z
      .object({
        idleSeconds: Seconds.default(DEFAULTS.sessionIdleSeconds),
        absoluteSeconds: Seconds.default(DEFAULTS.sessionAbsoluteSeconds),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((a) => a.keyHashes || a.keys || a.oidc, {
    message: 'admin needs keyHashes, keys or oidc (else nobody can use the admin API)',
  });

export const ConfigSchema = z
  .object({
    issuer: Url,
    port: z.number().int().min(0).max(65535).default(DEFAULTS.port),
    host: z.string().default(DEFAULTS.host),
    logLevel: z.enum(LOG_LEVELS).default(DEFAULTS.logLevel),
    store: StoreSchema.prefault({}),
    keys: z
      .object({
        dir: z.string().default(DEFAULTS.keysDir),
        alg: z.enum(['ES256', 'EdDSA', 'RS256']).default(DEFAULTS.keyAlg),
        generateIfMissing: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Where signatures are computed: libuv's thread pool or the event loop (src/keys/offload.ts). */
    signatures: z
      .object({ threadPool: z.enum(THREAD_POOL_SETTINGS).default(DEFAULTS.signatureThreadPool) })
      .strict()
      .prefault({}),
    trustedIssuers: z.array(TrustedIssuerSchema).min(1),
    agents: z.array(AgentSchema).min(1),
    tools: z.array(ToolSchema).default([]),
    admin: AdminSchema.optional(),
    policy: z
      .object({
        /** Cedar policy set, validated against Baton's schema; reloaded on change and SIGHUP. */
        cedarFile: z.string().optional(),
        watch: z.boolean().default(DEFAULTS.policyWatch),
      })
      .strict()
      .prefault({}),
    approvals: z
      .object({
        intervalSeconds: z.number().int().min(1).default(DEFAULTS.approvalIntervalSeconds),
        ttlSeconds: Seconds.default(DEFAULTS.approvalTtlSeconds),
        /** Notified (signed JWT, `application/jwt`) on each new pending approval; never blocks an exchange. */
        webhook: z.object({ url: Url }).strict().optional(),
        maxPendingPerTask: z.number().int().positive().default(DEFAULTS.approvalMaxPendingPerTask),
        maxPendingPerAgent: z
          .number()
          .int()
          .positive()
          .default(DEFAULTS.approvalMaxPendingPerAgent),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        taskMaxEvents: z.number().int().positive().default(DEFAULTS.auditTaskMaxEvents),
        globalMaxEvents: z.number().int().positive().default(DEFAULTS.auditGlobalMaxEvents),
        maxAgeSeconds: Seconds.default(DEFAULTS.auditMaxAgeSeconds),
        taskMaxRefusals: z.number().int().positive().default(DEFAULTS.auditTaskMaxRefusals),
        globalMaxRefusals: z.number().int().positive().default(DEFAULTS.auditGlobalMaxRefusals),
        refusalBurst: z.number().int().min(1).default(DEFAULTS.auditRefusalBurst),
        refusalWindowSeconds: Seconds.default(DEFAULTS.auditRefusalWindowSeconds),
      })
      .strict()
      .prefault({}),
    /** Revocation feed followers (docs/revocation.md, "Followers"). */
    feed: z
      .object({
        followersMax: z.number().int().positive().default(DEFAULTS.feedFollowersMax),
        followersPerClient: z.number().int().positive().default(DEFAULTS.feedFollowersPerClient),
        followerMaxBufferedBytes: z
          .number()
          .int()
          .min(16 * 1024)
          .default(DEFAULTS.feedFollowerMaxBufferedBytes),
        followerMaxLagMs: z.number().int().positive().default(DEFAULTS.feedFollowerMaxLagMs),
        followerRetryAfterSeconds: Seconds.default(DEFAULTS.feedFollowerRetryAfterSeconds),
      })
      .strict()
      .prefault({}),
    /** How the JWKS of trusted issuers (`jwksUri`) are fetched (docs/configuration.md). */
    upstreamJwks: z
      .object({
        timeoutMs: z.number().int().positive().default(DEFAULTS.upstreamJwksTimeoutMs),
        cooldownMs: z.number().int().min(0).default(DEFAULTS.upstreamJwksCooldownMs),
        maxAgeMs: z.number().int().positive().default(DEFAULTS.upstreamJwksMaxAgeMs),
        warnIntervalSeconds: z
          .number()
          .int()
          .min(0)
          .default(DEFAULTS.upstreamJwksWarnIntervalSeconds),
      })
      .strict()
      .prefault({}),
    rateLimits: RateLimitsSchema.prefault({}),
    // DPoP (RFC 9449), docs/dpop.md.
    dpop: z
      .object({
        algorithms: z
          .array(Alg)
          .min(1)
          .default([...DEFAULTS.dpopAlgorithms] as (typeof ASYMMETRIC_ALGS)[number][]),
        proofWindowSeconds: Seconds.default(DEFAULTS.dpopProofWindowSeconds),
        agents: z.enum(['optional', 'required']).default(DEFAULTS.dpopAgents),
        /** §8 server nonces: stateless, an HMAC of the time bucket under this secret (shared by all instances). */
        nonce: z
          .object({
            secret: z.string().min(32),
            bucketSeconds: Seconds.default(DEFAULTS.dpopNonceBucketSeconds),
          })
          .strict()
          .optional(),
        handOffOfferTtlSeconds: Seconds.default(DEFAULTS.handOffOfferTtlSeconds),
      })
      .strict()
      .prefault({}),
    defaults: z
      .object({
        taskTtlSeconds: Seconds.default(DEFAULTS.taskTtlSeconds),
        taskMaxSeconds: Seconds.default(DEFAULTS.taskMaxSeconds),
        toolTokenTtlSeconds: Seconds.default(DEFAULTS.toolTokenTtlSeconds),
        maxDepth: z.number().int().min(1).max(16).default(DEFAULTS.maxDepth),
        purposeMaxLength: z.number().int().positive().default(DEFAULTS.purposeMaxLength),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.defaults.taskMaxSeconds < c.defaults.taskTtlSeconds)
      ctx.addIssue({
        code: 'custom',
        path: ['defaults', 'taskMaxSeconds'],
        message: `must be at least defaults.taskTtlSeconds (${c.defaults.taskTtlSeconds})`,
      });
    const agentIds = new Set<string>();
    c.agents.forEach((a, i) => {
      if (agentIds.has(a.id))
        ctx.addIssue({
          code: 'custom',
          path: ['agents', i, 'id'],
          message: `duplicate agent id ${a.id}`,
        });
      agentIds.add(a.id);
    });
    const clientIds = new Set(agentIds);
    const resources = new Map<string, string>();
    c.tools.forEach((t, i) => {
      // RFC 3986 §6.2.2: two spellings of one URI would be one tool at /token.
      const uri = normalizeResourceUri(t.resource);
      if (uri === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'resource'],
          message: 'a resource is an absolute URI without a fragment (RFC 8707 §2)',
        });
      else if (resources.has(uri))
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'resource'],
          message: `${t.resource} is the same URI as ${resources.get(uri)} (RFC 3986 §6.2.2)`,
        });
      else resources.set(uri, t.resource);
      if (clientIds.has(t.resourceServer.clientId))
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'resourceServer', 'clientId'],
          message: `client id ${t.resourceServer.clientId} is already used`,
        });
      clientIds.add(t.resourceServer.clientId);
      if (t.resource === c.issuer)
        ctx.addIssue({
          code: 'custom',
          path: ['tools', i, 'resource'],
          message: 'a tool cannot be Baton itself',
        });
    });
    c.agents.forEach((a, i) => {
      for (const [res, rule] of Object.entries(a.tools)) {
        const tool = c.tools.find((t) => t.resource === res);
        if (!tool)
          ctx.addIssue({
            code: 'custom',
            path: ['agents', i, 'tools', res],
            message: 'no tool with this resource is configured',
          });
        else
          for (const s of rule.scopes)
            if (!tool.scopes.includes(s))
              ctx.addIssue({
                code: 'custom',
                path: ['agents', i, 'tools', res, 'scopes'],
                message: `scope ${s} is not one the tool understands`,
              });
      }
      a.handOffTo.forEach((b, j) => {
        if (!agentIds.has(b))
          ctx.addIssue({
            code: 'custom',
            path: ['agents', i, 'handOffTo', j],
            message: `unknown agent ${b}`,
          });
      });
    });
    if (c.trustedIssuers.length > 1)
      c.trustedIssuers.forEach((t, i) => {
        if (!t.subjectPrefix)
          ctx.addIssue({
            code: 'custom',
            path: ['trustedIssuers', i, 'subjectPrefix'],
            message: 'required when several issuers are trusted',
          });
      });
  });

export type Config = z.infer<typeof ConfigSchema>;
export type AgentConfig = z.infer<typeof AgentSchema>;
export type ToolConfig = z.infer<typeof ToolSchema>;
export type TrustedIssuerConfig = z.infer<typeof TrustedIssuerSchema>;
export type ClientAuthConfig = z.infer<typeof ClientAuthSchema>;
export type StoreConfig = z.infer<typeof StoreSchema>;
export type Budget = z.infer<typeof BudgetSchema>;
export type RateLimitsConfig = z.infer<typeof RateLimitsSchema>;
