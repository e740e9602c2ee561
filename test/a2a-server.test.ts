/**
 * Switchboard as an A2A agent (#12), driven by the official A2A SDK's client over JSON-RPC: the
 * public card names the team's skills and the endpoint; a message runs a turn of the team and the
 * task ends with its answer; a stream shows the turn as it goes; a contextId continues its
 * conversation; the endpoint takes only the REST API's tokens; a cancel stops the turn.
 */
import { randomUUID } from "node:crypto";
import { ListTasksRequest, SendMessageRequest, TaskState, type AgentCard, type Message, type StreamResponse, type Task } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, createAuthenticatingFetchWithRetry, type Client } from "@a2a-js/sdk/client";
import { LegacyJsonRpcTransport } from "@a2a-js/sdk/compat/v0_3/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../shared/events.js";
import { pacedModel } from "./support/paced-model.js";
import { createLogger } from "../platform/logger.js";
import { startServer, type RunningServer } from "../server/server-process.js";
import { ApiClient, reportIfStillWaiting, startPlatform, TEST_TOKEN, testRedis, type Platform } from "./support/harness.js";

/** An A2A client as another agent system would make one: the card from the well-known path, the token on every call. */
async function a2aClient(baseUrl: string, token: string): Promise<Client> {
  const fetchImpl = createAuthenticatingFetchWithRetry(fetch, {
    headers: async () => ({ authorization: `Bearer ${token}` }),
    shouldRetryWithHeaders: async () => undefined,
  });
  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl })] }));
  return factory.createFromUrl(baseUrl);
}

const ask = (text: string, contextId?: string) =>
  SendMessageRequest.fromJSON({ message: { messageId: randomUUID(), role: "ROLE_USER", parts: [{ text }], ...(contextId ? { contextId } : {}) } });

const textOf = (parts: { content?: { $case: string; value?: unknown } }[] | undefined) =>
  (parts ?? []).flatMap((part) => (part.content?.$case === "text" ? [String(part.content.value)] : [])).join("\n");

/** Every update of a stream, until it ends (the test's timeout bounds it; a test that ends meanwhile says what came). */
async function collect(stream: AsyncGenerator<StreamResponse>, onUpdate: (update: StreamResponse) => void = () => {}): Promise<StreamResponse[]> {
  const updates: StreamResponse[] = [];
  const over = reportIfStillWaiting("the A2A stream to end", () => `updates so far: ${updates.map((u) => u.payload?.$case).join(", ")}`);
  try {
    for await (const update of stream) {
      updates.push(update);
      onUpdate(update);
    }
    return updates;
  } finally {
    over();
  }
}

/** An update as a short label: `task`, `working`, `artifact`, `completed`, … */
function label(update: StreamResponse): string {
  const payload = update.payload;
  if (payload?.$case === "statusUpdate") return (TaskState[payload.value.status?.state ?? 0] ?? "").replace("TASK_STATE_", "").toLowerCase();
  if (payload?.$case === "artifactUpdate") return "artifact";
  return payload?.$case ?? "empty";
}

describe("the team as an A2A agent, with the official SDK's client", () => {
  let platform: Platform;
  let client: Client;
  beforeAll(async () => {
    platform = await startPlatform();
    client = await a2aClient(platform.server.url, TEST_TOKEN);
  });
  afterAll(async () => {
    await platform?.close();
  });

  it("serves a public card naming the team's agents and workflows, the JSON-RPC endpoint and the bearer scheme", async () => {
    const card: AgentCard = await client.getAgentCard();
    expect(card.name).toBe("Switchboard");
    expect(card.supportedInterfaces).toEqual([
      expect.objectContaining({ url: `${platform.server.url}/a2a`, protocolBinding: "JSONRPC", protocolVersion: "1.0" }),
      expect.objectContaining({ url: `${platform.server.url}/a2a`, protocolBinding: "JSONRPC", protocolVersion: "0.3" }),
    ]);
    expect(card.capabilities?.streaming).toBe(true);
    const skills = card.skills.map((skill) => skill.id);
    expect(skills).toContain("agent:calculator");
    expect(skills).not.toContain("agent:manager");
    expect(skills).toContain("workflow:order-triage");
    expect(card.skills.find((skill) => skill.id === "agent:calculator")?.description).toMatch(/\w{10}/);
    expect(card.securitySchemes.bearer?.scheme).toEqual({ $case: "httpAuthSecurityScheme", value: expect.objectContaining({ scheme: "bearer" }) });
    // Public: read with no token at all; in protocol JSON for a 1.0 client, in the 0.3 shape for one that names no version.
    const current = await fetch(`${platform.server.url}/.well-known/agent-card.json`, { headers: { "a2a-version": "1.0" } });
    expect(current.status).toBe(200);
    expect(((await current.json()) as { securitySchemes: unknown }).securitySchemes).toEqual({ bearer: { httpAuthSecurityScheme: expect.objectContaining({ scheme: "bearer" }) } });
    const legacy = await fetch(`${platform.server.url}/.well-known/agent-card.json`);
    expect(await legacy.json()).toMatchObject({ url: `${platform.server.url}/a2a`, protocolVersion: "0.3", capabilities: { streaming: true } });
  });

  it("serves a v0.3 client too: message/send through the SDK's compat transport", async () => {
    const fetchImpl: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${TEST_TOKEN}` } });
    const legacy = new LegacyJsonRpcTransport({ endpoint: `${platform.server.url}/a2a`, fetchImpl });
    expect(legacy.protocolVersion).toBe("0.3");
    const task = (await legacy.sendMessage(ask("what is 17 * 23"))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(task.artifacts[0]?.parts)).toContain("391");
  });

  it("message/send runs a turn and returns the completed task with the team's answer", async () => {
    const result = await client.sendMessage(ask("what is 17 * 23"));
    const task = result as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(task.artifacts).toHaveLength(1);
    expect(textOf(task.artifacts[0]?.parts)).toContain("391");
    // The task's context is a conversation of the caller's, with the message and the answer in it.
    const conversation = await platform.api.request("GET", `/api/conversations/${task.contextId}`);
    expect(conversation.status).toBe(200);
    const events = await platform.api.events(task.contextId);
    expect(events.find((e) => e.type === "message.user")?.data).toMatchObject({ text: "what is 17 * 23", clientMsgId: `a2a-${task.id}` });
    // Any server process answers for the task: it is kept in Redis.
    const read = await client.getTask({ tenant: "", id: task.id });
    expect(read.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(read.artifacts[0]?.parts)).toContain("391");
  });

  it("message/stream shows the turn as it goes: working (with the handoff), the answer as an artifact, then completed", async () => {
    const updates = await collect(client.sendMessageStream(ask("what is 17 * 23")));
    const labels = updates.map(label);
    expect(labels[0]).toBe("task");
    expect(labels.at(-1)).toBe("completed");
    const working = labels.indexOf("working");
    const artifact = labels.indexOf("artifact");
    expect(working).toBeGreaterThan(0);
    expect(artifact).toBeGreaterThan(working);
    expect(artifact).toBe(labels.length - 2);
    const handoff = updates.find((u) => u.payload?.$case === "statusUpdate" && textOf(u.payload.value.status?.message?.parts).includes("calculator"));
    expect(handoff).toBeDefined();
    const answer = updates[artifact]?.payload;
    expect(answer?.$case === "artifactUpdate" && textOf(answer.value.artifact?.parts)).toContain("391");
  });

  it("a message with the contextId of an earlier task continues the same conversation", async () => {
    const first = (await client.sendMessage(ask("what is 17 * 23"))) as Task;
    const second = (await client.sendMessage(ask("and what is 12 * 12", first.contextId))) as Task;
    expect(second.contextId).toBe(first.contextId);
    expect(second.id).not.toBe(first.id);
    expect(second.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(second.artifacts[0]?.parts)).toContain("144");
    const events = await platform.api.events(first.contextId);
    const asked = events.filter((e): e is Event & { type: "message.user" } => e.type === "message.user").map((e) => e.data.text);
    expect(asked).toEqual(["what is 17 * 23", "and what is 12 * 12"]);
    const tasks = await client.listTasks(ListTasksRequest.fromJSON({ contextId: first.contextId }));
    expect(tasks.tasks.map((task) => task.id)).toEqual([second.id, first.id]);
    const listed = await platform.api.request("GET", "/api/conversations");
    expect((listed.body.conversations as { id: string }[]).filter((c) => c.id === first.contextId)).toHaveLength(1);
  });

  it("refuses a contextId that is not one of the caller's conversations", async () => {
    await expect(client.sendMessage(ask("what is 2 + 2", "c00_AAAAAAAAAAAAAAAAAAAA"))).rejects.toThrow(/No conversation "c00_AAAAAAAAAAAAAAAAAAAA" of yours/);
  });

  it("refuses a caller without a valid token (401), and the SDK's client with a wrong one", async () => {
    const noToken = await fetch(`${platform.server.url}/a2a`, {
      method: "POST",
      headers: { "content-type": "application/json", "a2a-version": "1.0" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "SendMessage", params: SendMessageRequest.toJSON(ask("hi")) }),
    });
    expect(noToken.status).toBe(401);
    const intruder = await a2aClient(platform.server.url, "not-the-token");
    await expect(intruder.sendMessage(ask("what is 17 * 23"))).rejects.toThrow(/401/);
    const conversations = await new ApiClient(platform.server.url, TEST_TOKEN).request("GET", "/api/conversations");
    const titles = (conversations.body.conversations as { title: string }[]).map((c) => c.title);
    expect(titles).not.toContain("hi");
  });
});

describe("cancelling an A2A task", () => {
  const started: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const running of started.reverse()) await running.close();
  });

  /** A platform whose model stops mid-answer (until released), and a task streaming from it; `cancel` is called once the model is there. */
  async function cancelMidAnswer(cancel: (client: Client, taskId: string, platform: Platform) => Promise<Task>) {
    const model = pacedModel(["This answer is long enough to be stopped half way through its words."], { delayMs: 0 });
    const hold = model.holdAfter(0, 3);
    const platform = await startPlatform({ model: model.client });
    started.push(platform);
    const client = await a2aClient(platform.server.url, TEST_TOKEN);
    let contextId = "";
    let cancelled: Promise<Task> | undefined;
    const updates = await collect(client.sendMessageStream(ask("Tell me a long story")), (update) => {
      if (update.payload?.$case !== "task") return;
      const task = update.payload.value;
      contextId = task.contextId;
      cancelled = hold.reached.then(() => cancel(client, task.id, platform));
    });
    hold.release();
    return { platform, updates, task: await cancelled, events: await platform.api.events(contextId) };
  }

  it("tasks/cancel stops the running turn: the task ends canceled and the conversation shows the stop", async () => {
    const { updates, task, events } = await cancelMidAnswer((client, id) => client.cancelTask({ tenant: "", id, metadata: undefined }));
    expect(updates.map(label).at(-1)).toBe("canceled");
    expect(task?.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(events.map((e) => e.type)).toContain("run.cancelled");
    expect(events.map((e) => e.type)).not.toContain("message.agent");
    const status = updates.at(-1)?.payload;
    expect(status?.$case === "statusUpdate" && (status.value.status?.message as Message | undefined)?.metadata).toEqual({ by: "local" });
  });

  it("a cancel sent to another server process stops the turn too, and that process reads the task", async () => {
    let other: RunningServer | undefined;
    const { platform, updates, task } = await cancelMidAnswer(async (_client, id, first) => {
      // A second server on the same Redis, as behind a balancer: it does not follow the task.
      other = await startServer({ config: first.config, redis: testRedis(), log: createLogger("silent") });
      started.push(other);
      const elsewhere = await a2aClient(other.url, TEST_TOKEN);
      return elsewhere.cancelTask({ tenant: "", id, metadata: undefined });
    });
    expect(task?.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(updates.map(label).at(-1)).toBe("canceled");
    const elsewhere = await a2aClient(other?.url ?? "", TEST_TOKEN);
    const read = await elsewhere.getTask({ tenant: "", id: task?.id ?? "" });
    expect(read.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(read.contextId).toBe((await platform.api.request("GET", `/api/conversations/${read.contextId}`)).body.id);
  });
});
