import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Queues, queueLayout } from "../platform/queues.js";
import { A2ATaskStore } from "../platform/a2a-tasks.js";
import { AgentRegistry } from "../platform/agent-registry.js";
import { McpServerStore } from "../platform/mcp-servers.js";
import { Approvals } from "../platform/approvals.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { ConversationRemoval } from "../platform/conversation-removal.js";
import { StreamingTexts } from "../platform/delta-bus.js";
import { Conversations } from "../platform/conversations.js";
import { Readiness, type AgentsHealthSource } from "../platform/health.js";
import { RunSteps } from "../platform/run-steps.js";
import type { Logger } from "../platform/logger.js";
import { LogTail } from "../platform/log-tail.js";
import { TurnStops } from "../platform/turn-stops.js";
import { countRedisErrors, queueCounts, queueStates, registerQueueSource, registerSocketSource } from "../platform/metrics.js";
import { connectRedis, ShardedSubscriber, type RedisTarget } from "../platform/redis.js";
import { WorkflowRegistry } from "../platform/workflow-registry.js";
import { WorkflowRuns } from "../platform/workflow-runs.js";
import type { Config } from "../shared/config.js";
import { ConfigurationError } from "../shared/errors.js";
import { WORKFLOWS_QUEUE } from "../shared/jobs.js";
import { keys as keyNames } from "../shared/keys.js";
import { TeamExecutor } from "./a2a/team-executor.js";
import { createApp } from "./app.js";
import { createAuthenticator, resolveAccessToken } from "./auth.js";
import { Gateway } from "./gateway.js";
import { CallRegistry } from "./mcp/call-registry.js";
import { TeamTools } from "./mcp/team-tools.js";
import { APP_ROOT } from "../platform/app-root.js";
import { MessageIntake } from "./message-intake.js";
import { TurnControl } from "./turn-control.js";
import { RateLimits } from "./rate-limits.js";

export interface RunningServer {
  url: string;
  token: string;
  http: HttpServer;
  /** Readiness answers 503 from now on (a load balancer stops sending); everything still serves. */
  beginShutdown(): void;
  /** Begins the shutdown, then closes everything. */
  close(): Promise<void>;
}

const CLIENT_DIR = path.join(APP_ROOT, "client", "dist");

/**
 * Starts the HTTP server (REST, and the browser client when built) against the Redis `redis` names.
 * `agents`: the agents running in this same process (`npm start`), which its health and readiness
 * then cover.
 */
export async function startServer(options: {
  config: Config;
  redis: RedisTarget;
  log: Logger;
  agents?: () => AgentsHealthSource | undefined;
}): Promise<RunningServer> {
  const { config, redis: target } = options;
  const log = options.log.child({ component: "server" });
  const keys = keyNames(config.prefix);
  const readiness = new Readiness();
  const redis = await connectRedis(target, { name: "server" });
  // Sharded pub/sub of the conversations this server follows: their logs' announcements and token deltas.
  const subscriber = await ShardedSubscriber.connect(target, "server-follow");
  const connections = { server: redis, "server-follow": subscriber.connection };
  for (const [name, connection] of Object.entries(connections)) countRedisErrors(connection, name, log);
  const conversationLog = new ConversationLog(redis, keys, log, config.retention);
  const conversations = new Conversations(redis, keys, config.shards);
  const tail = new LogTail(subscriber, redis, keys, conversationLog, log);
  const queues = new Queues(redis, keys, queueLayout(config));
  const agentRegistry = new AgentRegistry(redis, keys, log);
  const mcpServerStore = new McpServerStore(redis, keys, log);
  const intake = new MessageIntake(conversationLog, conversations, queues, agentRegistry);
  const turns = new TurnControl(conversationLog, intake, new TurnStops(redis, keys), queues);
  const approvals = new Approvals(redis, keys, conversationLog, queues);
  const workflowRegistry = new WorkflowRegistry(redis, keys, log);
  const workflowRuns = new WorkflowRuns(redis, keys, conversationLog, queues, workflowRegistry);
  const token = await resolveAccessToken(redis, keys, config.token);
  const authenticate = createAuthenticator(token, config.users);
  const limits = new RateLimits(redis, config.prefix, config.rateLimits);
  // Every agent's queue (the registry's, read each time: agents come and go at run time) and the workflows queue.
  const queueNames = async () => [...(await agentRegistry.list()).map((agent) => agent.name), WORKFLOWS_QUEUE];
  let sockets = () => 0;
  const a2aExecutor = new TeamExecutor({ conversations, intake, turns, tail, log });
  const mcpCalls = new CallRegistry(redis, keys, config.limits.mcpCallTimeoutMs + 60_000);

  const app = createApp({
    log,
    authenticate,
    limits,
    conversations: {
      conversations,
      removal: new ConversationRemoval(redis, keys, conversations, conversationLog, queues),
      conversationLog,
      tail,
      intake,
      turns,
      runSteps: new RunSteps(redis, keys, log),
      maxMessageChars: config.limits.maxMessageChars,
    },
    agents: { registry: agentRegistry, queues, defaultModel: config.model.defaultModel, mcpServers: mcpServerStore },
    workflows: { registry: workflowRegistry, runs: workflowRuns, conversations, log },
    approvals: { approvals },
    mcpServers: { store: mcpServerStore },
    mcp: {
      tools: new TeamTools({
        conversations,
        tail,
        intake,
        turns,
        workflows: workflowRegistry,
        runs: workflowRuns,
        limits,
        calls: mcpCalls,
        maxMessageChars: config.limits.maxMessageChars,
        callTimeoutMs: config.limits.mcpCallTimeoutMs,
        log,
      }),
      calls: mcpCalls,
    },
    a2a: {
      executor: a2aExecutor,
      tasks: new A2ATaskStore(redis, keys),
      conversations,
      intake,
      turns,
      agents: agentRegistry,
      workflows: workflowRegistry,
      maxMessageChars: config.limits.maxMessageChars,
      log,
    },
    operations: {
      redis,
      connections,
      followers: tail,
      sockets: () => sockets(),
      ...(options.agents ? { agents: options.agents } : {}),
      readiness,
      metrics: config.metrics,
    },
    queueDashboard: {
      adminToken: token,
      // Each queue on each BullMQ prefix work may be under; named `<prefix>:<queue>` when there are several.
      queues: async () => {
        const prefixes = queues.prefixes();
        return (await queueNames()).flatMap((name) =>
          prefixes.map((prefix) => ({ name: prefixes.length > 1 ? `${prefix}:${name}` : name, queue: queues.queue(name, prefix) })),
        );
      },
    },
    clientDir: CLIENT_DIR,
  });
  const http = createServer(app);
  const gateway = new Gateway(http, {
    authenticate,
    limits,
    conversations,
    tail,
    intake,
    turns,
    approvals,
    subscriber,
    streaming: new StreamingTexts(redis, keys),
    keys,
    maxMessageChars: config.limits.maxMessageChars,
    log,
  });
  sockets = () => gateway.io.of("/").sockets.size;
  const unregisterSockets = registerSocketSource(() => sockets());
  const unregisterQueues = registerQueueSource(config.prefix, async () =>
    queueCounts(await queueNames(), (name) => queues.jobCounts(name, ...queueStates())),
  );
  await new Promise<void>((resolve, reject) => {
    http.once("error", (error: NodeJS.ErrnoException) => reject(listenProblem(error, config.host, config.port)));
    http.listen(config.port, config.host, () => resolve());
  });
  readiness.ready();
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  log.info({ url }, "server listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    token,
    http,
    beginShutdown: () => readiness.stopping(),
    close: () =>
      (closing ??= (async () => {
        readiness.stopping();
        unregisterSockets();
        unregisterQueues();
        http.closeAllConnections();
        // Closing Socket.IO disconnects every socket and closes the HTTP server under it.
        await gateway.close();
        a2aExecutor.close();
        await tail.close();
        await queues.close();
        await subscriber.close();
        await redis.quit();
      })()),
  };
}

/** Why the server could not listen, said so that a person can fix it; other errors as they are. */
function listenProblem(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === "EADDRINUSE") {
    return new ConfigurationError(`${host}:${port} is in use (another Switchboard, or another program). Stop it, or set PORT to a free port (PORT=0 picks one).`, { cause: error });
  }
  if (error.code === "EACCES") return new ConfigurationError(`Listening on ${host}:${port} needs privileges this process does not have; set PORT to 1024 or above.`, { cause: error });
  if (error.code === "EADDRNOTAVAIL") return new ConfigurationError(`HOST=${host} is not an address of this machine.`, { cause: error });
  return error;
}
