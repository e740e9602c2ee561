import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { startAgents, type RunningAgents } from "../../agents/agents-process.js";
import type { AgentDefinition } from "../../agents/define-agent.js";
import { builtInAgents } from "../../agents/team/built-in-team.js";
import { createLogger } from "../../platform/logger.js";
import type { RedisTarget } from "../../platform/redis.js";
import { startServer, type RunningServer } from "../../server/server-process.js";
import type OpenAI from "openai";
import type { WorkflowDefinition } from "../../workflows/define-workflow.js";
import { shippedWorkflows, shippedWorkflowTools } from "../../workflows/shipped.js";
import { hostWorkflows, loadWorkflows, withWorkflowsOnManager } from "../../workflows/workflows-hosting.js";
import type { AnyTool } from "../../agents/define-tool.js";
import { parseConfig, type Config } from "../../shared/config.js";
export { turnFinished } from "../../shared/turn-status.js";

export { ApiClient, TEST_TOKEN, describeEvents, reportIfStillWaiting } from "./api-client.js";
import { ApiClient, TEST_TOKEN } from "./api-client.js";

/** The test Redis: the cluster of `npm run test:cluster` when there is one, else the throwaway server. */
export function testRedis(): RedisTarget {
  const cluster = inject("redisCluster");
  if (!cluster) return inject("redisUrl");
  const node = (address: string) => ({ host: address.slice(0, address.lastIndexOf(":")), port: Number(address.slice(address.lastIndexOf(":") + 1)) });
  return { cluster: cluster.split(",").map(node) };
}

/** The environment that points a child process at the test Redis. */
export function testRedisEnv(): Record<string, string> {
  const cluster = inject("redisCluster");
  return cluster ? { REDIS_CLUSTER_NODES: cluster } : { REDIS_URL: inject("redisUrl") };
}

/** Settings for a test: a unique key prefix on the shared throwaway Redis (or cluster), a free port, no model delay. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const cluster = inject("redisCluster");
  const parsed = parseConfig({
    ...(cluster ? { REDIS_CLUSTER_NODES: cluster } : {}),
    PORT: "0",
    SWITCHBOARD_PREFIX: `t${randomUUID().replaceAll("-", "").slice(0, 12)}`,
    SWITCHBOARD_TOKEN: TEST_TOKEN,
    OFFLINE_MODEL_DELAY_MS: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    SWITCHBOARD_LOCK_MS: "2000",
    SWITCHBOARD_STALLED_MS: "1000",
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  return parsed.config;
}

export interface Platform {
  config: Config;
  server: RunningServer;
  agents: RunningAgents | undefined;
  api: ApiClient;
  close(): Promise<void>;
}

/** The whole product in this process (server and, unless `agents: false`, the agents) on the test Redis. */
export async function startPlatform(
  options: {
    env?: Record<string, string>;
    /** Agents defined in code; the built-in team unless given. */
    team?: AgentDefinition[];
    /** False: the server alone. */
    agents?: boolean;
    catalogDir?: string;
    specialistsDir?: string;
    /** Workflows in code and the tools their steps use; the shipped ones unless a team is given. */
    workflows?: { definitions: WorkflowDefinition[]; tools?: AnyTool[] };
    /** The model the agents use: a scripted model's client, or the offline model when absent. */
    model?: OpenAI;
  } = {},
): Promise<Platform> {
  const config = testConfig(options.env);
  const redis = testRedis();
  const log = createLogger(config.logLevel);
  const agents = options.agents === false ? undefined : await startTestAgents(config, redis, options);
  let started: Platform | undefined;
  // The server's health and readiness cover these agents, as in `npm start` (one process).
  const server = await startServer({ config, redis, log, agents: () => started?.agents });
  const platform: Platform = {
    config,
    server,
    agents,
    api: new ApiClient(server.url, TEST_TOKEN),
    close: async () => {
      await server.close();
      await platform.agents?.close();
    },
  };
  started = platform;
  return platform;
}

/** Stops the platform's agents and starts them again, as a restart of the agents process would. */
export async function restartAgents(platform: Platform, options: Parameters<typeof startPlatform>[0] & object = {}): Promise<void> {
  await platform.agents?.close();
  platform.agents = await startTestAgents(platform.config, testRedis(), options);
}

async function startTestAgents(config: Config, redis: RedisTarget, options: Parameters<typeof startPlatform>[0] & object): Promise<RunningAgents> {
  const workflows = await loadWorkflows({
    // The shipped workflows use the built-in team; a test with a team of its own brings its own.
    code: options.workflows?.definitions ?? (options.team ? [] : shippedWorkflows),
    tools: options.workflows?.tools ?? (options.team ? [] : shippedWorkflowTools),
    catalogDir: options.catalogDir,
  });
  return startAgents({
    config,
    redis,
    log: createLogger(config.logLevel),
    agents: withWorkflowsOnManager(options.team ?? (await builtInAgents()), workflows),
    catalogDir: options.catalogDir,
    specialistsDir: options.specialistsDir,
    hosted: hostWorkflows(workflows),
    ...(options.model ? { model: options.model } : {}),
  });
}

