import { AgentRegistry } from "../platform/agent-registry.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { DeltaPublisher } from "../platform/delta-bus.js";
import type { Logger } from "../platform/logger.js";
import { connectRedis } from "../platform/redis.js";
import type { Config } from "../shared/config.js";
import { keys as keyNames } from "../shared/keys.js";
import { AgentLoop } from "./agent-loop.js";
import { AgentQueues } from "./agent-queues.js";
import { AgentWorkers } from "./agent-workers.js";
import { readCatalog } from "./catalog.js";
import type { AgentDefinition } from "./define-agent.js";
import { createModelClient } from "./model/model-client.js";
import { RegistryDirectory } from "./registry-directory.js";
import { RunStore } from "./run-state.js";
import { loadSpecialists } from "./specialists-folder.js";
import { collectTools, seedRegistry, toolSummaries } from "./team-seed.js";

export interface RunningAgents {
  workers: AgentWorkers;
  close(): Promise<void>;
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
}): Promise<RunningAgents> {
  const { config, redisUrl } = options;
  const log = options.log.child({ component: "agents" });
  const keys = keyNames(config.prefix);
  const redis = await connectRedis(redisUrl, { name: "agents" });
  const workerConnection = await connectRedis(redisUrl, { blocking: true, name: "agents-workers" });
  const subscriber = await connectRedis(redisUrl, { blocking: true, name: "agents-registry" });

  const code = [...options.agents, ...(options.specialistsDir ? await loadSpecialists(options.specialistsDir) : [])];
  const tools = collectTools(code);
  const registry = new AgentRegistry(redis, keys, log);
  await registry.publishTools(toolSummaries(tools));
  const catalog = options.catalogDir ? await readCatalog(options.catalogDir) : { entries: [], problems: [] };
  await seedRegistry({ registry, code, catalog, tools, log });

  const directory = new RegistryDirectory(registry, tools, log);
  await directory.refresh();
  const queues = new AgentQueues(redis, keys);
  const loop = new AgentLoop({
    directory,
    conversationLog: new ConversationLog(redis, keys, log, config.retention),
    runs: new RunStore(redis, keys),
    queues,
    deltas: new DeltaPublisher(redis, keys, log),
    model: createModelClient(config.model),
    config,
    log,
  });
  const workers = new AgentWorkers(workerConnection, keys, loop, config, log);
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
        await workers.close();
        await queues.close();
        await workerConnection.quit();
        await redis.quit();
      })()),
  };
}
