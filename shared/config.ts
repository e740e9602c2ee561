import proxyaddr from "proxy-addr";
import { z } from "zod";
import { OFFLINE_MODEL } from "./cost.js";
import { MAX_SHARDS } from "./keys.js";

/** Parses an integer-valued environment variable with bounds, keeping the variable's name in errors. */
const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

/**
 * Every setting Switchboard reads from the environment (also from `.env`).
 * Names match the table in README.md; defaults are the embedded, offline set-up.
 */
export const ConfigSchema = z
  .object({
    PORT: int(0, 65535, 3000),
    HOST: z.string().min(1).default("127.0.0.1"),
    REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
    REDIS_CLUSTER_NODES: optionalText.pipe(
      z
        .string()
        .optional()
        .transform((value, context) => (value === undefined ? undefined : parseClusterNodes(value, context))),
    ),
    SWITCHBOARD_SHARDS: optionalText.pipe(
      z
        .string()
        .regex(/^\d{1,3}$/, `use a whole number from 1 to ${MAX_SHARDS}`)
        .transform(Number)
        .pipe(z.number().min(1, `use a whole number from 1 to ${MAX_SHARDS}`).max(MAX_SHARDS, `use a whole number from 1 to ${MAX_SHARDS}`))
        .optional(),
    ),
    SWITCHBOARD_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/, "lowercase letters, digits, '-' or '_', starting with a letter")
      .default("sb"),
    SWITCHBOARD_TOKEN: optionalText.pipe(z.string().min(16, "use at least 16 characters").optional()),
    SWITCHBOARD_USERS: optionalText.pipe(
      z
        .string()
        .optional()
        .transform((value, context) => parseUsers(value ?? "", context)),
    ),
    SWITCHBOARD_DATA_DIR: z.string().min(1).default(".data"),
    SWITCHBOARD_CATALOG_DIR: z.string().min(1).default("catalog"),
    SWITCHBOARD_SPECIALISTS_DIR: z.string().min(1).default("specialists"),
    OPENAI_API_KEY: optionalText,
    OPENAI_BASE_URL: optionalText.pipe(z.url().optional()),
    SWITCHBOARD_MODEL: optionalText,
    OFFLINE_MODEL_DELAY_MS: int(0, 10_000, 25),
    SWITCHBOARD_MODEL_FIRST_TOKEN_MS: int(100, 3_600_000, 60_000),
    SWITCHBOARD_MODEL_IDLE_MS: int(100, 3_600_000, 30_000),
    SWITCHBOARD_MODEL_SLOW_MS: int(100, 3_600_000, 10_000),
    SWITCHBOARD_MODEL_STEP_RETRIES: int(0, 10, 2),
    SWITCHBOARD_MAX_STEPS: int(1, 100, 8),
    SWITCHBOARD_MAX_HANDOFF_DEPTH: int(1, 20, 4),
    SWITCHBOARD_TOKEN_BUDGET: int(100, 10_000_000, 50_000),
    SWITCHBOARD_MAX_MESSAGE_CHARS: int(1, 100_000, 8000),
    SWITCHBOARD_MCP_CALL_TIMEOUT_MS: int(1000, 86_400_000, 600_000),
    SWITCHBOARD_RETENTION: int(100, 10_000_000, 10_000),
    SWITCHBOARD_CONCURRENCY: int(1, 1000, 32),
    SWITCHBOARD_LOCK_MS: int(1000, 600_000, 10_000),
    SWITCHBOARD_STALLED_MS: int(500, 600_000, 5_000),
    SWITCHBOARD_DRAIN_MS: int(0, 600_000, 10_000),
    SWITCHBOARD_REDIS_FSYNC: z.enum(["everysec", "always"], { error: 'use "everysec" or "always"' }).default("everysec"),
    SWITCHBOARD_RATE_LOGIN_FAILURES: int(0, 1_000_000, 30),
    SWITCHBOARD_RATE_MESSAGES: int(0, 1_000_000, 60),
    SWITCHBOARD_RATE_MESSAGES_PER_ADDRESS: int(0, 1_000_000, 300),
    SWITCHBOARD_RATE_CONVERSATIONS: int(0, 1_000_000, 30),
    SWITCHBOARD_RATE_CONVERSATIONS_PER_ADDRESS: int(0, 1_000_000, 150),
    SWITCHBOARD_RATE_AGENT_CHANGES: int(0, 1_000_000, 30),
    SWITCHBOARD_RATE_AGENT_CHANGES_PER_ADDRESS: int(0, 1_000_000, 150),
    SWITCHBOARD_RATE_WORKFLOW_RUNS: int(0, 1_000_000, 30),
    SWITCHBOARD_RATE_WORKFLOW_RUNS_PER_ADDRESS: int(0, 1_000_000, 150),
    SWITCHBOARD_TRUSTED_PROXIES: optionalText.pipe(
      z
        .string()
        .optional()
        .transform((value, context) => parseTrustedProxies(value ?? "", context)),
    ),
    SWITCHBOARD_METRICS: z.enum(["admin", "public"], { error: 'use "admin" or "public"' }).default("admin"),
    SWITCHBOARD_AGENTS_PORT: optionalText.pipe(
      z
        .string()
        .regex(/^\d{1,5}$/, "use a port number (0–65535)")
        .transform(Number)
        .pipe(z.number().max(65535, "use a port number (0–65535)"))
        .optional(),
    ),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .transform((env) => ({
    port: env.PORT,
    host: env.HOST,
    redisUrl: env.REDIS_URL,
    /** Seed nodes of a Redis Cluster; when set, Switchboard uses the cluster and ignores REDIS_URL. */
    redisCluster: env.REDIS_CLUSTER_NODES,
    /**
     * How many slots new conversations (and the queues of their work) are spread over; see
     * docs/redis-layout.md. Every process of a deployment must use the same value, and it may be
     * raised but not lowered: a conversation keeps its shard for life.
     */
    shards: env.SWITCHBOARD_SHARDS ?? (env.REDIS_CLUSTER_NODES === undefined ? 1 : DEFAULT_CLUSTER_SHARDS),
    prefix: env.SWITCHBOARD_PREFIX,
    token: env.SWITCHBOARD_TOKEN,
    users: env.SWITCHBOARD_USERS,
    dataDir: env.SWITCHBOARD_DATA_DIR,
    catalogDir: env.SWITCHBOARD_CATALOG_DIR,
    specialistsDir: env.SWITCHBOARD_SPECIALISTS_DIR,
    model: {
      apiKey: env.OPENAI_API_KEY,
      baseUrl: env.OPENAI_BASE_URL,
      /** The offline model serves when neither a key nor a base URL is given. */
      offline: env.OPENAI_API_KEY === undefined && env.OPENAI_BASE_URL === undefined,
      defaultModel:
        env.SWITCHBOARD_MODEL ??
        (env.OPENAI_API_KEY === undefined && env.OPENAI_BASE_URL === undefined ? OFFLINE_MODEL : "gpt-4o-mini"),
      offlineDelayMs: env.OFFLINE_MODEL_DELAY_MS,
      /** A model call fails when its first token takes longer than this (a call not streamed: its whole answer). */
      firstTokenMs: env.SWITCHBOARD_MODEL_FIRST_TOKEN_MS,
      /** A streamed model call fails when it sends nothing for this long mid-answer. */
      idleMs: env.SWITCHBOARD_MODEL_IDLE_MS,
      /** A run says its model is slow when the first token takes longer than this. */
      slowMs: env.SWITCHBOARD_MODEL_SLOW_MS,
      /** A model step whose stream was cut or stalled mid-answer is tried again this many times. */
      stepRetries: env.SWITCHBOARD_MODEL_STEP_RETRIES,
    },
    limits: {
      maxSteps: env.SWITCHBOARD_MAX_STEPS,
      maxHandoffDepth: env.SWITCHBOARD_MAX_HANDOFF_DEPTH,
      tokenBudget: env.SWITCHBOARD_TOKEN_BUDGET,
      maxMessageChars: env.SWITCHBOARD_MAX_MESSAGE_CHARS,
      /** A call of the MCP endpoint's tools waits this long for the team or the workflow run to finish. */
      mcpCallTimeoutMs: env.SWITCHBOARD_MCP_CALL_TIMEOUT_MS,
    },
    retention: env.SWITCHBOARD_RETENTION,
    workers: {
      concurrency: env.SWITCHBOARD_CONCURRENCY,
      lockMs: env.SWITCHBOARD_LOCK_MS,
      stalledMs: env.SWITCHBOARD_STALLED_MS,
      /** On SIGTERM, runs in flight get this long to finish; the rest resume in another process. */
      drainMs: env.SWITCHBOARD_DRAIN_MS,
    },
    /** `appendfsync` of the Redis this process starts itself: "always" fsyncs every write before a 202. */
    redisFsync: env.SWITCHBOARD_REDIS_FSYNC,
    /**
     * Rate limits, counted in Redis so they hold across server instances; 0 turns one off.
     * Login failures are counted per address over 15 minutes; the rest per token (its user) and
     * per address over one minute. See docs/security.md.
     */
    rateLimits: {
      loginFailures: env.SWITCHBOARD_RATE_LOGIN_FAILURES,
      messages: { perToken: env.SWITCHBOARD_RATE_MESSAGES, perAddress: env.SWITCHBOARD_RATE_MESSAGES_PER_ADDRESS },
      conversations: { perToken: env.SWITCHBOARD_RATE_CONVERSATIONS, perAddress: env.SWITCHBOARD_RATE_CONVERSATIONS_PER_ADDRESS },
      agentChanges: { perToken: env.SWITCHBOARD_RATE_AGENT_CHANGES, perAddress: env.SWITCHBOARD_RATE_AGENT_CHANGES_PER_ADDRESS },
      workflowRuns: { perToken: env.SWITCHBOARD_RATE_WORKFLOW_RUNS, perAddress: env.SWITCHBOARD_RATE_WORKFLOW_RUNS_PER_ADDRESS },
      /** Reverse proxies whose X-Forwarded-For names the client (addresses, subnets, or loopback/linklocal/uniquelocal); none by default. */
      trustedProxies: env.SWITCHBOARD_TRUSTED_PROXIES,
    },
    /**
     * Who may read `/metrics`: the admin token only (`admin`), or anyone who can reach the port
     * (`public`, for a Prometheus that scrapes without a token). See docs/operations.md.
     */
    metrics: env.SWITCHBOARD_METRICS,
    /** The agents process run alone answers /health, /ready and /metrics on this port (on HOST); unset: no listener. */
    agentsPort: env.SWITCHBOARD_AGENTS_PORT,
    logLevel: env.LOG_LEVEL,
  }));

export type Config = z.output<typeof ConfigSchema>;

/** A node of a Redis Cluster, as REDIS_CLUSTER_NODES names it. */
export interface ClusterNode {
  host: string;
  port: number;
}

/** Enough shards that conversations spread over a few masters; more only costs idle workers. */
const DEFAULT_CLUSTER_SHARDS = 16;

/** `host:port,host:port`: the cluster's seed nodes (any of its masters; the rest are discovered). */
function parseClusterNodes(value: string, context: z.RefinementCtx): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const entry of value.split(",").map((part) => part.trim()).filter(Boolean)) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
      context.addIssue({ code: "custom", message: `"${entry}" is not host:port` });
    } else {
      nodes.push({ host: match[1].replace(/^\[|\]$/g, ""), port });
    }
  }
  if (nodes.length === 0) context.addIssue({ code: "custom", message: "name at least one node, as host:port" });
  return nodes;
}

/**
 * `SWITCHBOARD_TRUSTED_PROXIES="10.0.0.5,172.30.0.0/24,loopback"`: IPv4 or IPv6 addresses, with an
 * optional `/prefix`, or one of the names loopback, linklocal, uniquelocal. Each entry is checked
 * by the library that will use it (proxy-addr, which throws on what it cannot read).
 */
function parseTrustedProxies(value: string, context: z.RefinementCtx): string[] {
  const proxies: string[] = [];
  for (const entry of value.split(",").map((part) => part.trim()).filter(Boolean)) {
    try {
      proxyaddr.compile(entry);
      proxies.push(entry);
    } catch {
      // Reported as the setting's problem, which stops the start with the variable's name.
      context.addIssue({ code: "custom", message: `"${entry}" is not an IP address, a subnet (address/prefix) or one of loopback, linklocal, uniquelocal` });
    }
  }
  return proxies;
}

/**
 * `SWITCHBOARD_USERS="alice:<token>,bob:<token>"`: more people, each with their own token and
 * their own conversations. The holder of SWITCHBOARD_TOKEN is the admin.
 */
function parseUsers(value: string, context: z.RefinementCtx): { user: string; token: string }[] {
  const users: { user: string; token: string }[] = [];
  for (const entry of value.split(",").map((part) => part.trim()).filter(Boolean)) {
    const [user = "", token = ""] = entry.split(":", 2);
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(user)) {
      context.addIssue({ code: "custom", message: `user "${user}": names are lowercase letters, digits, '-' or '_'` });
    } else if (user === "local") {
      context.addIssue({ code: "custom", message: `user "local" is the holder of SWITCHBOARD_TOKEN; pick another name` });
    } else if (token.length < 16) {
      context.addIssue({ code: "custom", message: `user "${user}": the token must have at least 16 characters` });
    } else if (users.some((known) => known.user === user || known.token === token)) {
      context.addIssue({ code: "custom", message: `user "${user}": names and tokens must be unique` });
    } else {
      users.push({ user, token });
    }
  }
  return users;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Validates an environment; every problem is reported as `NAME: reason`, none thrown. */
export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = ConfigSchema.safeParse(env);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`),
  };
}
