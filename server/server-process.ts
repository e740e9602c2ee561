import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Queues } from "../platform/queues.js";
import { AgentRegistry } from "../platform/agent-registry.js";
import { Approvals } from "../platform/approvals.js";
import { ConversationLog } from "../platform/conversation-log.js";
import { Conversations } from "../platform/conversations.js";
import type { Logger } from "../platform/logger.js";
import { LogTail } from "../platform/log-tail.js";
import { connectRedis } from "../platform/redis.js";
import { WorkflowRegistry } from "../platform/workflow-registry.js";
import { WorkflowRuns } from "../platform/workflow-runs.js";
import type { Config } from "../shared/config.js";
import { keys as keyNames } from "../shared/keys.js";
import { createApp } from "./app.js";
import { createAuthenticator, resolveAccessToken } from "./auth.js";
import { Gateway } from "./gateway.js";
import { MessageIntake } from "./message-intake.js";
import { RateLimits } from "./rate-limits.js";

export interface RunningServer {
  url: string;
  token: string;
  http: HttpServer;
  close(): Promise<void>;
}

const CLIENT_DIR = fileURLToPath(new URL("../client/dist", import.meta.url));

/** Starts the HTTP server (REST, and the browser client when built) against Redis at `redisUrl`. */
export async function startServer(options: { config: Config; redisUrl: string; log: Logger }): Promise<RunningServer> {
  const { config, redisUrl } = options;
  const log = options.log.child({ component: "server" });
  const keys = keyNames(config.prefix);
  const redis = await connectRedis(redisUrl, { name: "server" });
  const blocking = await connectRedis(redisUrl, { blocking: true, name: "server-tail" });
  const subscriber = await connectRedis(redisUrl, { blocking: true, name: "server-deltas" });
  const conversationLog = new ConversationLog(redis, keys, log, config.retention);
  const conversations = new Conversations(redis, keys);
  const tail = new LogTail(blocking, redis, keys, conversationLog, log);
  const queues = new Queues(redis, keys);
  const intake = new MessageIntake(conversationLog, conversations, queues);
  const approvals = new Approvals(redis, keys, conversationLog, queues);
  const workflowRegistry = new WorkflowRegistry(redis, keys, log);
  const workflowRuns = new WorkflowRuns(redis, keys, conversationLog, queues, workflowRegistry);
  const token = await resolveAccessToken(redis, keys, config.token);
  const authenticate = createAuthenticator(token, config.users);
  const limits = new RateLimits(redis, config.prefix, config.rateLimits);

  const app = createApp({
    redis,
    log,
    authenticate,
    limits,
    conversations: { conversations, conversationLog, tail, intake, maxMessageChars: config.limits.maxMessageChars },
    agents: { registry: new AgentRegistry(redis, keys, log), queues, defaultModel: config.model.defaultModel },
    workflows: { registry: workflowRegistry, runs: workflowRuns, conversations, log },
    approvals: { approvals },
    clientDir: CLIENT_DIR,
  });
  const http = createServer(app);
  const gateway = new Gateway(http, {
    authenticate,
    limits,
    conversations,
    tail,
    intake,
    approvals,
    subscriber,
    keys,
    maxMessageChars: config.limits.maxMessageChars,
    log,
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  log.info({ url }, "server listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    token,
    http,
    close: () =>
      (closing ??= (async () => {
        http.closeAllConnections();
        // Closing Socket.IO disconnects every socket and closes the HTTP server under it.
        await gateway.close();
        await tail.close();
        await queues.close();
        blocking.disconnect();
        subscriber.disconnect();
        await redis.quit();
      })()),
  };
}
