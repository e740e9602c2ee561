import type OpenAI from "openai";
import type { Redis } from "ioredis";
import { AgentRegistry } from "../platform/agent-registry.js";
import { Approvals } from "../platform/approvals.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { Conversations } from "../platform/conversations.js";
import { DeltaPublisher } from "../platform/delta-bus.js";
import type { Logger } from "../platform/logger.js";
import { Queues } from "../platform/queues.js";
import { connectRedis } from "../platform/redis.js";
import type { Runnable } from "../runtime/next-step.js";
import { RunHost } from "../runtime/run-host.js";
import type { Config } from "../shared/config.js";
import { keys as keyNames, type Keys } from "../shared/keys.js";
import type { AgentDirectory } from "./agent-directory.js";
import { AgentLoop } from "./agent-loop.js";
import { AgentWorkers } from "./agent-workers.js";
import { readCatalog } from "./catalog.js";
import type { AgentDefinition } from "./define-agent.js";
import type { AnyTool } from "./define-tool.js";
import { createModelClient } from "./model/model-client.js";
import { RegistryDirectory } from "./registry-directory.js";
import { RunStore } from "./run-state.js";
import { loadSpecialists } from "./specialists-folder.js";
import { collectTools, seedRegistry, toolSummaries } from "./team-seed.js";

export interface RunningAgents {
  workers: AgentWorkers;
  close(): Promise<void>;
}

/** What an agents process shares with the work it hosts besides agent runs (workflow runs). */
export interface AgentServices {
  redis: Redis;
  keys: Keys;
  config: Config;
  log: Logger;
  model: OpenAI;
  conversationLog: ConversationLog;
  conversations: Conversations;
  deltas: DeltaPublisher;
  queues: Queues;
  approvals: Approvals;
  directory: AgentDirectory;
  /** Every tool of this process by name: the agents' and the hosted work's. */
  tools: ReadonlyMap<string, AnyTool>;
}

/**
 * More work for the agents process to host beside the agents: its tools (offered to agents and
 * checked like theirs) and the queues it works, each with the run that processes its jobs.
 */
export interface HostedWork {
  tools: AnyTool[];
  /** Runs once the registry holds the team, before any worker starts (e.g. to publish definitions). */
  prepare(services: AgentServices): Promise<{ queue: string; runnable: Runnable<unknown> }[]>;
}

/** A safety net under the change notifications: the team is re-read this often regardless. */
const RESYNC_MS = 5000;

/**
 * Starts an agents process: seeds the registry with the agents defined in code (`agents`, plus
 * the specialists folder) and in catalog files, then runs a worker for every enabled agent and
 * follows registry changes, starting and stopping workers without a restart.
 */
export async function startAgents(options: {
  config: Config;
  redisUrl: string;
  log: Logger;
  agents: AgentDefinition[];
  catalogDir?: string;
  specialistsDir?: string;
  /** The model client; absent, the configured one (a test passes a scripted model here). */
  model?: OpenAI;
  hosted?: HostedWork;
}): Promise<RunningAgents> {
  const { config, redisUrl } = options;
  const log = options.log.child({ component: "agents" });
  const keys = keyNames(config.prefix);
  const redis = await connectRedis(redisUrl, { name: "agents" });
  const workerConnection = await connectRedis(redisUrl, { blocking: true, name: "agents-workers" });
  const subscriber = await connectRedis(redisUrl, { blocking: true, name: "agents-registry" });

  const code = [...options.agents, ...(options.specialistsDir ? await loadSpecialists(options.specialistsDir) : [])];
  const tools = collectTools(code, options.hosted?.tools ?? []);
  const registry = new AgentRegistry(redis, keys, log);
  await registry.publishTools(toolSummaries(tools));
  const catalog = options.catalogDir ? await readCatalog(options.catalogDir) : { entries: [], problems: [] };
  await seedRegistry({ registry, code, catalog, tools, log });

  const directory = new RegistryDirectory(registry, tools, log);
  await directory.refresh();
  const queues = new Queues(redis, keys);
  const conversationLog = new ConversationLog(redis, keys, log, config.retention);
  const conversations = new Conversations(redis, keys);
  const approvals = new Approvals(redis, keys, conversationLog, queues);
  const services: AgentServices = {
    redis,
    keys,
    config,
    log,
    model: options.model ?? createModelClient(config.model, { log }),
    conversationLog,
    conversations,
    deltas: new DeltaPublisher(redis, keys, log),
    queues,
    approvals,
    directory,
    tools,
  };
  const host = <R>(runnable: Runnable<R>) => new RunHost(runnable, queues, approvals, (id) => conversations.owner(id));
  const agentHost = host(new AgentLoop({ ...services, runs: new RunStore(redis, keys) }));
  const workers = new AgentWorkers(workerConnection, keys, (job, token) => agentHost.process(job, token), config, log);
  for (const { queue, runnable } of (await options.hosted?.prepare(services)) ?? []) {
    const hosted = host(runnable);
    await workers.startFixed(queue, (job, token) => hosted.process(job, token));
  }
  await workers.reconcile(directory);

  let syncing = Promise.resolve();
  const sync = () => {
    syncing = syncing
      .then(() => directory.refresh())
      .then(() => workers.reconcile(directory))
      .catch((error: unknown) => log.error({ err: error }, "could not bring the team up to date; retrying on the next change"));
    return syncing;
  };
  subscriber.on("message", () => void sync());
  await subscriber.subscribe(keys.agentsChanged());
  const timer = setInterval(() => void sync(), RESYNC_MS);
  timer.unref();
  log.info({ agents: workers.running(), model: config.model.offline ? "offline" : config.model.defaultModel }, "agents ready");

  let closing: Promise<void> | undefined;
  return {
    workers,
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        subscriber.disconnect();
        await syncing;
        const left = await workers.close(config.workers.drainMs);
        await queues.close();
        if (left.length === 0) {
          await workerConnection.quit();
          await redis.quit();
          return;
        }
        log.warn({ jobs: left, drainMs: config.workers.drainMs }, "runs still going after the drain time; another agents process resumes them from their last step");
        // Their calls may still be waiting for a reply: do not wait for them.
        workerConnection.disconnect();
        redis.disconnect();
      })()),
  };
}
