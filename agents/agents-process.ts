import type OpenAI from "openai";
import { AgentRegistry, type RegistryChange } from "../platform/agent-registry.js";
import { Approvals } from "../platform/approvals.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { Conversations } from "../platform/conversations.js";
import { DeltaPublisher } from "../platform/delta-bus.js";
import { connectionStates, PROCESS_NAME, Readiness, type AgentsHealth, type AgentsHealthSource } from "../platform/health.js";
import type { Logger } from "../platform/logger.js";
import { countRedisErrors, queueCounts, queueStates, registerQueueSource } from "../platform/metrics.js";
import { Queues, queueLayout } from "../platform/queues.js";
import { connectRedis, ShardedSubscriber, type RedisClient, type RedisTarget } from "../platform/redis.js";
import type { Runnable } from "../runtime/next-step.js";
import { RunHost } from "../runtime/run-host.js";
import { TurnStops, type StopMarker } from "../platform/turn-stops.js";
import type { Config } from "../shared/config.js";
import { keys as keyNames, type Keys } from "../shared/keys.js";
import type { AgentDirectory } from "./agent-directory.js";
import type { A2aAgents } from "./a2a/a2a-agents.js";
import { AgentLoop } from "./agent-loop.js";
import { AgentWorkers } from "./agent-workers.js";
import { readCatalog, type CatalogEntry } from "./catalog.js";
import { RunFailure } from "./errors.js";
import { readMcpServers } from "./mcp/catalog-servers.js";
import { McpServers, type McpToolSource } from "./mcp/mcp-servers.js";
import { McpServerStore } from "../platform/mcp-servers.js";
import type { AgentDefinition } from "./define-agent.js";
import type { AnyTool } from "./define-tool.js";
import { createModelClient } from "./model/model-client.js";
import { RegistryDirectory } from "./registry-directory.js";
import { RunStore } from "./run-state.js";
import { startOpsListener, type OpsListener } from "./ops-listener.js";
import { loadSpecialists } from "./specialists-folder.js";
import { collectTools, seedRegistry, toolSummaries } from "./team-seed.js";

export interface RunningAgents extends AgentsHealthSource {
  workers: AgentWorkers;
  /** The /health, /ready and /metrics listener (`SWITCHBOARD_AGENTS_PORT`), when asked for one. */
  ops: OpsListener | undefined;
  /** The MCP servers this process connects to, and their tools. */
  mcp: McpServers;
  close(): Promise<void>;
}

/** What an agents process shares with the work it hosts besides agent runs (workflow runs). */
export interface AgentServices {
  redis: RedisClient;
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
  /** The tools of the MCP servers this process connects to. */
  mcp: McpToolSource;
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
  redis: RedisTarget;
  log: Logger;
  agents: AgentDefinition[];
  catalogDir?: string;
  specialistsDir?: string;
  /** The model client; absent, the configured one (a test passes a scripted model here). */
  model?: OpenAI;
  hosted?: HostedWork;
  /**
   * A port for /health, /ready and /metrics (the agents process run alone: `SWITCHBOARD_AGENTS_PORT`);
   * absent, none. It listens before the team starts, so /ready answers 503 while it does.
   */
  opsPort?: number;
}): Promise<RunningAgents> {
  const { config, redis: target } = options;
  const log = options.log.child({ component: "agents" });
  const keys = keyNames(config.prefix);
  const readiness = new Readiness();
  const redis = await connectRedis(target, { name: "agents" });
  const workerConnection = await connectRedis(target, { blocking: true, name: "agents-workers" });
  const subscriber = await ShardedSubscriber.connect(target, "agents-registry");
  const connections = { agents: redis, "agents-workers": workerConnection, "agents-registry": subscriber.connection };
  for (const [name, connection] of Object.entries(connections)) countRedisErrors(connection, name, log);
  let workers: AgentWorkers | undefined;
  const health = (): AgentsHealth => {
    const states = connectionStates(connections);
    const byQueue = workers?.health() ?? {};
    const stopped = Object.keys(byQueue).filter((queue) => !byQueue[queue]?.running || byQueue[queue]?.paused);
    const problem =
      readiness.state !== "ready"
        ? `the agents are ${readiness.state}`
        : states.down.length > 0
          ? `Redis connections not connected: ${states.down.join(", ")}`
          : stopped.length > 0
            ? `workers not running: ${stopped.join(", ")}`
            : undefined;
    return {
      ok: problem === undefined,
      worker: PROCESS_NAME,
      state: readiness.state,
      workers: byQueue,
      connections: states.states,
      ...(problem ? { problem } : {}),
    };
  };
  const ready = () => readiness.state === "ready" && connectionStates(connections).down.length === 0;
  const ops = options.opsPort === undefined ? undefined : await startOpsListener({ config, port: options.opsPort, redis, health, ready, log });

  const code = [...options.agents, ...(options.specialistsDir ? await loadSpecialists(options.specialistsDir) : [])];
  const tools = collectTools(code, options.hosted?.tools ?? []);
  const registry = new AgentRegistry(redis, keys, log);
  await registry.publishTools(toolSummaries(tools));
  const catalog = options.catalogDir ? await readCatalog(options.catalogDir) : { entries: [], problems: [] };
  const a2a = await remoteAgents(catalog.entries, log);
  const remoteHeaders = new Map(catalog.entries.flatMap((entry) => (entry.remote ? [[entry.spec.name, entry.remote.headers] as const] : [])));
  // MCP servers connect before the team is checked, so their tools are known and published by then.
  const mcpCatalog = options.catalogDir ? await readMcpServers(options.catalogDir) : { servers: [], problems: [] };
  catalog.problems.push(...mcpCatalog.problems);
  const mcpStore = new McpServerStore(redis, keys, log);
  const mcp = new McpServers(mcpStore, registry, log, PROCESS_NAME);
  await mcp.start(mcpCatalog.servers);
  const mcpServers = [...new Set([...mcpCatalog.servers.map((server) => server.name), ...(await mcpStore.states()).map((state) => state.name)])];
  await seedRegistry({ registry, code, catalog, tools, mcpServers, log });

  const directory = new RegistryDirectory(registry, tools, log, remoteHeaders, mcp);
  await directory.refresh();
  const queues = new Queues(redis, keys, queueLayout(config));
  const conversationLog = new ConversationLog(redis, keys, log, config.retention);
  const conversations = new Conversations(redis, keys, config.shards);
  const approvals = new Approvals(redis, keys, conversationLog, queues);
  const services: AgentServices = {
    redis,
    keys,
    config,
    log,
    model: options.model ?? createModelClient(config.model, { log }),
    conversationLog,
    conversations,
    // A run's kept text outlives a stream's longest allowed silence (after which its step runs again).
    deltas: new DeltaPublisher(redis, keys, log, { ttlMs: Math.max(60_000, 2 * config.model.idleMs) }),
    queues,
    approvals,
    directory,
    tools,
    mcp,
  };
  const host = <R>(runnable: Runnable<R>) => new RunHost(runnable, queues, approvals, (id) => conversations.owner(id));
  const turnStops = new TurnStops(redis, keys);
  const stops = { read: (id: string) => turnStops.read(id), watch: (id: string, onStop: (marker: StopMarker) => void) => turnStops.watch(subscriber, id, onStop) };
  const agentHost = host(new AgentLoop({ ...services, runs: new RunStore(redis, keys, conversationLog), stops, a2a }));
  const team = new AgentWorkers(workerConnection, queues.prefixes(), (job, token) => agentHost.process(job, token), config, log);
  workers = team;
  const fixedQueues: string[] = [];
  for (const { queue, runnable } of (await options.hosted?.prepare(services)) ?? []) {
    const hosted = host(runnable);
    await team.startFixed(queue, (job, token) => hosted.process(job, token));
    fixedQueues.push(queue);
  }
  await team.reconcile(directory);

  let syncing = Promise.resolve();
  /** `resync`: read the registry's version whatever was announced (an announcement may have been missed). */
  const sync = (resync = false) => {
    syncing = syncing
      .then(() => (resync ? directory.resync() : directory.refresh()))
      .then(() => team.reconcile(directory))
      .catch((error: unknown) => log.error({ err: error }, "could not bring the team up to date; retrying on the next change"));
    return syncing;
  };
  await subscriber.subscribe(keys.agentsChanged(), (message) => {
    try {
      directory.noteChange((JSON.parse(message) as RegistryChange).version);
      void sync();
    } catch {
      void sync(true);
    }
  });
  subscriber.onResubscribed(() => void sync(true));
  await subscriber.subscribe(keys.mcpServersChanged(), () => void mcp.sync());
  const timer = setInterval(() => {
    void sync(true);
    void mcp.sync();
  }, RESYNC_MS);
  timer.unref();
  // The queue gauge of /metrics: every agent's queue and the hosted ones (workflows).
  const unregisterQueues = registerQueueSource(config.prefix, () =>
    queueCounts([...directory.list().map((agent) => agent.name), ...fixedQueues], (name) => queues.jobCounts(name, ...queueStates())),
  );
  readiness.ready();
  log.info(
    { agents: team.running(), worker: team.name, model: config.model.offline ? "offline" : config.model.defaultModel, ...(ops ? { opsUrl: ops.url } : {}) },
    "agents ready",
  );

  let closing: Promise<void> | undefined;
  return {
    workers: team,
    mcp,
    ops,
    health,
    ready,
    close: () =>
      (closing ??= (async () => {
        // Readiness says "stopping" at once; health and metrics go on answering while runs drain.
        readiness.stopping();
        unregisterQueues();
        clearInterval(timer);
        await subscriber.close();
        await mcp.close();
        await syncing;
        const left = await team.close(config.workers.drainMs);
        await queues.close();
        await ops?.close();
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

/**
 * The A2A client for the catalog's remote agents, their cards read. The SDK loads only when the
 * catalog names a remote agent (they come from catalog files alone); without one, no run needs it.
 */
async function remoteAgents(entries: CatalogEntry[], log: Logger): Promise<Pick<A2aAgents, "answer" | "cancel">> {
  if (!entries.some((entry) => entry.remote)) {
    return {
      answer: async () => {
        throw new RunFailure("remote_agent", "This agent is remote, but no catalog file of this agents process declares it (kind: a2a-agent).");
      },
      cancel: async (remote, taskId, runLog) => {
        runLog.warn({ taskId, card: remote.card }, "cannot cancel the remote task: no catalog file of this agents process declares its agent");
      },
    };
  }
  const { A2aAgents: Client, describeFromCards } = await import("./a2a/a2a-agents.js");
  const a2a = new Client(log);
  await describeFromCards(entries, a2a, log);
  return a2a;
}
