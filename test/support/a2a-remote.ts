/** A remote A2A agent for tests, served by the official SDK (DefaultRequestHandler, an AgentExecutor, express). */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { Role, TaskState, type AgentCard, type Part, type TaskStatus } from "@a2a-js/sdk";
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor, type ExecutionEventBus, type RequestContext } from "@a2a-js/sdk/server";
import { agentCardHandler, jsonRpcHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import express from "express";

const text = (value: string): Part => ({ content: { $case: "text", value }, metadata: undefined, filename: "", mediaType: "text/plain" });
const status = (state: TaskState, said?: string): TaskStatus => ({
  state,
  message: said ? { messageId: `m-${Date.now()}`, contextId: "", taskId: "", role: Role.ROLE_AGENT, parts: [text(said)], metadata: undefined, extensions: [], referenceTaskIds: [] } : undefined,
  timestamp: new Date().toISOString(),
});

/**
 * The remote agent: answers a request with it in upper case, streamed as an artifact; one that says
 * "fail" fails; one that says "hang" works until it is cancelled. It records what it was sent and
 * what was cancelled.
 */
export class ShoutingAgent implements AgentExecutor {
  readonly received: string[] = [];
  readonly cancelled: string[] = [];
  private readonly hanging = new Map<string, () => void>();
  private hangStarted: ((taskId: string) => void) | undefined;

  /** Resolves with the task id once a "hang" request is being worked on. */
  nextHang(): Promise<string> {
    return new Promise((resolve) => (this.hangStarted = resolve));
  }

  execute = async (request: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const said = request.userMessage.parts.map((part) => (part.content?.$case === "text" ? part.content.value : "")).join("\n");
    this.received.push(said);
    const { taskId, contextId } = request;
    bus.publish(AgentEvent.task({ id: taskId, contextId, status: status(TaskState.TASK_STATE_SUBMITTED), artifacts: [], history: [request.userMessage], metadata: undefined }));
    bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: status(TaskState.TASK_STATE_WORKING), metadata: undefined }));
    if (said.includes("hang")) {
      await new Promise<void>((resolve) => {
        this.hanging.set(taskId, resolve);
        this.hangStarted?.(taskId);
      });
      return;
    }
    if (said.includes("fail")) {
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: status(TaskState.TASK_STATE_FAILED, "No shouting today."), metadata: undefined }));
      bus.finished();
      return;
    }
    const answer = said.split("\n")[0]?.toUpperCase() ?? "";
    bus.publish(
      AgentEvent.artifactUpdate({
        taskId,
        contextId,
        artifact: { artifactId: "answer", name: "answer", description: "", parts: [text(answer)], metadata: undefined, extensions: [] },
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
    bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: status(TaskState.TASK_STATE_COMPLETED), metadata: undefined }));
    bus.finished();
  };

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    this.cancelled.push(taskId);
    bus.publish(AgentEvent.statusUpdate({ taskId, contextId: "", status: status(TaskState.TASK_STATE_CANCELED, "Cancelled on request."), metadata: undefined }));
    bus.finished();
    this.hanging.get(taskId)?.();
  };
}

/** Listens on a free local port; returns the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Starts a remote agent with the SDK's server on `server`; returns its card's URL. `onRequest` sees
 * each request's Authorization header.
 */
export async function startRemote(
  agent: ShoutingAgent,
  server: Server,
  options: { streaming: boolean; description: string; onRequest?: (authorization: string | undefined) => void },
): Promise<string> {
  const app = express();
  server.on("request", app);
  const base = await listen(server);
  const card: AgentCard = {
    name: "Shouter",
    description: options.description,
    supportedInterfaces: [{ url: `${base}/a2a/jsonrpc`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" }],
    provider: undefined,
    version: "1.0.0",
    capabilities: { streaming: options.streaming, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills: [],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), agent);
  app.use((request, _response, next) => {
    options.onRequest?.(request.headers.authorization);
    next();
  });
  app.use("/.well-known/agent-card.json", agentCardHandler({ agentCardProvider: handler }));
  app.use("/a2a/jsonrpc", jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  return `${base}/.well-known/agent-card.json`;
}

export async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
