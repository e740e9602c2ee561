import type { Logger } from "../platform/logger.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { DeltaPublisher } from "../platform/delta-bus.js";
import { connectRedis } from "../platform/redis.js";
import type { AgentSummary } from "../shared/api.js";
import type { Config } from "../shared/config.js";
import { keys as keyNames } from "../shared/keys.js";
import type { AgentDirectory } from "./agent-directory.js";
import { AgentLoop } from "./agent-loop.js";
import { AgentQueues } from "./agent-queues.js";
import { AgentWorkers } from "./agent-workers.js";
import { createModelClient } from "./model/model-client.js";
import { RunStore } from "./run-state.js";

export interface RunningAgents {
  close(): Promise<void>;
}

/** Starts a worker for every agent of `team`, and publishes the team for the servers to show. */
export async function startAgents(options: {
  config: Config;
  redisUrl: string;
  log: Logger;
  team: AgentDirectory;
}): Promise<RunningAgents> {
  const { config, redisUrl, team } = options;
  const log = options.log.child({ component: "agents" });
  const keys = keyNames(config.prefix);
  const redis = await connectRedis(redisUrl, { name: "agents" });
  const workerConnection = await connectRedis(redisUrl, { blocking: true, name: "agents-workers" });

  const summaries = team.list().map(
    (agent): AgentSummary => ({
      name: agent.name,
      description: agent.description,
      model: agent.model ?? config.model.defaultModel,
      tools: agent.tools.map((tool) => tool.name),
      handoffs: agent.handoffs,
    }),
  );
  await redis.hset(keys.agents(), Object.fromEntries(summaries.map((summary) => [summary.name, JSON.stringify(summary)])));

  const queues = new AgentQueues(redis, keys);
  const loop = new AgentLoop({
    directory: team,
    conversationLog: new ConversationLog(redis, keys, log, config.retention),
    runs: new RunStore(redis, keys),
    queues,
    deltas: new DeltaPublisher(redis, keys, log),
    model: createModelClient(config.model),
    config,
    log,
  });
  const workers = new AgentWorkers(workerConnection, keys, loop, config, log);
  await workers.start(team);
  log.info({ model: config.model.offline ? "offline" : config.model.defaultModel }, "agents ready");

  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        await workers.close();
        await queues.close();
        await workerConnection.quit();
        await redis.quit();
      })()),
  };
}
