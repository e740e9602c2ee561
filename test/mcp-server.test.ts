/**
 * Switchboard as an MCP server, driven by the official SDK's client over streamable HTTP against a
 * real server and agents: the tools it lists, asking the team and running a workflow (offline
 * model); cancelling, timing out and rate limits (a model whose answers hang); what it refuses.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatCompletionsFetch } from "../agents/model/chat-completions-fetch.js";
import type { Event } from "../shared/events.js";
import type { WorkflowSummary } from "../shared/workflow.js";
import { reportIfStillWaiting, startPlatform, TEST_TOKEN, type Platform } from "./support/harness.js";

const ALICE = "alice-token-0123456789";
const clients: Client[] = [];

async function connect(url: string, token = TEST_TOKEN): Promise<Client> {
  const client = new Client({ name: "switchboard-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL("/mcp", url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const text = (result: Record<string, unknown>) => ((result.content as { type: string; text?: string }[] | undefined) ?? []).map((part) => part.text ?? "").join("\n");

/** Resolves once a progress notification with a message that `matches` arrives. */
function progressUntil(matches: (message: string) => boolean) {
  const seen: string[] = [];
  let resolve: () => void = () => {};
  const reached = new Promise<void>((done) => (resolve = done));
  const stopReporting = reportIfStillWaiting("a progress notification", () => `progress so far: ${JSON.stringify(seen)}`);
  const onprogress = (progress: Progress) => {
    seen.push(progress.message ?? "");
    if (matches(progress.message ?? "")) {
      stopReporting();
      resolve();
    }
  };
  return { seen, reached, onprogress };
}

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

describe("the team as an MCP server (offline model)", () => {
  let platform: Platform;
  let client: Client;

  beforeAll(async () => {
    platform = await startPlatform();
    client = await connect(platform.server.url);
  });
  afterAll(async () => {
    await platform.close();
  });

  it("lists ask_team and one tool per workflow, whose input schema is the workflow's", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["ask_team", "run_content_pipeline", "run_order_triage"]);
    const ask = tools.find((tool) => tool.name === "ask_team");
    expect(ask?.inputSchema).toMatchObject({ type: "object", required: ["message"], properties: { message: { type: "string" }, conversationId: { type: "string" } } });
    expect(ask?.outputSchema).toMatchObject({ type: "object", required: ["answer", "agents", "conversationId"] });

    const workflow = (await platform.api.request("GET", "/api/workflows/order-triage")).body as unknown as WorkflowSummary;
    const { $schema: _dialect, ...inputSchema } = workflow.inputSchema;
    const triage = tools.find((tool) => tool.name === "run_order_triage");
    expect(triage?.inputSchema).toEqual(inputSchema);
    expect(triage?.description).toContain(workflow.description);
  });

  it("asks the team: the answer, the agents that worked on it, progress while they work, and the conversation", async () => {
    const progress = progressUntil((message) => message === "calculator is working");
    const result = await client.callTool({ name: "ask_team", arguments: { message: "What is 17 * 23?" } }, undefined, { onprogress: progress.onprogress });
    expect(result.isError ?? false).toBe(false);
    expect(text(result)).toContain("391");
    const answer = result.structuredContent as { answer: string; agents: string[]; conversationId: string };
    expect(answer.answer).toBe(text(result));
    expect(answer.agents).toEqual(expect.arrayContaining(["manager", "calculator"]));
    expect(answer.agents[0]).toBe("manager");
    await progress.reached;
    expect(progress.seen).toContain("manager is working");
    expect(progress.seen.some((message) => /^manager (handed off|delegated) to calculator$/.test(message))).toBe(true);
    // The conversation is the caller's, as the app shows it.
    const conversation = await platform.api.request("GET", `/api/conversations/${answer.conversationId}`);
    expect(conversation.status).toBe(200);
  });

  it("continues the conversation it is given", async () => {
    const { id } = (await platform.api.request("POST", "/api/conversations", { title: "Sums" })).body as { id: string };
    const result = await client.callTool({ name: "ask_team", arguments: { message: "What is 12 + 30?", conversationId: id } });
    expect(result.isError ?? false).toBe(false);
    expect(text(result)).toContain("42");
    expect((result.structuredContent as { conversationId: string }).conversationId).toBe(id);
    const events = (await platform.api.request("GET", `/api/conversations/${id}/events`)).body.events as Event[];
    expect(events.filter((event) => event.type === "message.user").map((event) => event.type === "message.user" && event.data.text)).toEqual(["What is 12 + 30?"]);
  });

  it("runs a workflow: the result is its output, with progress step by step", async () => {
    const progress = progressUntil((message) => message.startsWith("step "));
    const result = await client.callTool(
      { name: "run_order_triage", arguments: { orderId: "4413", message: "My lamp has not arrived yet" } },
      undefined,
      { onprogress: progress.onprogress },
    );
    expect(result.isError ?? false).toBe(false);
    const { output, runId, conversationId } = result.structuredContent as { output: { orderId: string; estimatedArrival: string }; runId: string; conversationId: string };
    expect(output).toMatchObject({ orderId: "4413", estimatedArrival: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(JSON.parse(text(result))).toEqual(output);
    await progress.reached;
    const run = await platform.api.request("GET", `/api/workflow-runs/${runId}`);
    expect(run.body).toMatchObject({ status: "completed", conversationId });
  });

  it("refuses bad arguments with a result that names what is wrong, and an unknown tool with an error", async () => {
    const triage = await client.callTool({ name: "run_order_triage", arguments: { orderId: "lamp" } });
    expect(triage.isError).toBe(true);
    expect(text(triage)).toMatch(/Invalid arguments for run_order_triage/);
    expect(text(triage)).toMatch(/orderId/);
    expect(text(triage)).toMatch(/message/);

    const ask = await client.callTool({ name: "ask_team", arguments: { question: "Hi" } });
    expect(ask.isError).toBe(true);
    expect(text(ask)).toMatch(/message/);
    expect(text(ask)).toMatch(/question/);

    const stranger = await client.callTool({ name: "ask_team", arguments: { message: "Hi", conversationId: "c00_nobodyhasthisid0000" } });
    expect(stranger.isError).toBe(true);
    expect(text(stranger)).toContain('No conversation "c00_nobodyhasthisid0000"');

    await expect(client.callTool({ name: "run_nothing", arguments: {} })).rejects.toThrow(/No tool "run_nothing"/);
  });

  it("refuses a missing or wrong bearer token with 401", async () => {
    const refused = connect(platform.server.url, "not-the-token-at-all");
    await expect(refused).rejects.toBeInstanceOf(StreamableHTTPError);
    await expect(refused).rejects.toMatchObject({ code: 401 });

    const bare = await fetch(new URL("/mcp", platform.server.url), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(bare.status).toBe(401);
    expect(bare.headers.get("www-authenticate")).toBe('Bearer realm="switchboard"');
    expect(await bare.json()).toMatchObject({ error: { code: "missing_token" } });
  });

  it("answers a GET (no standalone stream: the endpoint is stateless) with 405", async () => {
    const response = await fetch(new URL("/mcp", platform.server.url), { headers: { authorization: `Bearer ${TEST_TOKEN}`, accept: "text/event-stream" } });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });
});

/**
 * A model whose every answer streams a few words, then hangs until its request is aborted (as a
 * stop aborts it): a turn that is still going when the test cancels the call.
 */
function hangingModel() {
  let hanging = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const inner = createChatCompletionsFetch({
    delayMs: 0,
    modelId: "hanging",
    reply: () => ({ content: "Let me think about this", toolCalls: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }),
  });
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await inner(input, init);
    if (!response.headers.get("content-type")?.startsWith("text/event-stream")) return response;
    const words = (await response.text()).split("\n\n").filter((event) => event.includes('"content"') && !event.includes('finish_reason":"stop'));
    const signal = init?.signal ?? undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const word of words) controller.enqueue(new TextEncoder().encode(`${word}\n\n`));
        hanging += 1;
        for (const waiter of waiters.filter((w) => hanging >= w.count)) waiter.resolve();
        signal?.addEventListener("abort", () => controller.error(signal.reason), { once: true });
      },
    });
    return new Response(body, { status: 200, headers: response.headers });
  };
  return {
    client: new OpenAI({ apiKey: "hanging", baseURL: "http://hanging.switchboard/v1", fetch, maxRetries: 0 }),
    /** Resolves once `count` answers in all hang. */
    hung: (count: number) => (hanging >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
  };
}

describe("cancelling an MCP call stops the turn", () => {
  const model = hangingModel();
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform({ model: model.client });
  });
  afterAll(async () => {
    await platform.close();
  });

  const conversationIds = async () => ((await platform.api.request("GET", "/api/conversations")).body.conversations as { id: string }[]).map((c) => c.id);

  /** Asks, and resolves once the manager's answer hangs mid-stream, with the conversation it went to. */
  async function askAndHang(client: Client, hung: number, signal?: AbortSignal) {
    const before = new Set(await conversationIds());
    const call = client.callTool({ name: "ask_team", arguments: { message: "Think hard about something" } }, undefined, signal ? { signal } : {});
    call.catch(() => {});
    await model.hung(hung);
    const conversationId = (await conversationIds()).find((id) => !before.has(id));
    if (!conversationId) throw new Error("the call made no conversation");
    return { call, conversationId };
  }

  const cancelled = (events: Event[]) => events.filter((event) => event.type === "run.cancelled");

  it("through notifications/cancelled, which the client sends when its call is aborted", async () => {
    const client = await connect(platform.server.url);
    const abort = new AbortController();
    const { call, conversationId } = await askAndHang(client, 1, abort.signal);
    abort.abort("no longer needed");
    await expect(call).rejects.toThrow(/no longer needed/);
    const events = await platform.api.waitFor(conversationId, (seen) => cancelled(seen).length === 1, { what: "the turn to be stopped" });
    expect(cancelled(events)[0]?.data).toMatchObject({ by: "local", reason: "Cancelled by the MCP client: no longer needed" });
    expect(events.some((event) => event.type === "message.agent")).toBe(false);
  });

  it("when the client goes away mid-call", async () => {
    const client = await connect(platform.server.url);
    const { conversationId } = await askAndHang(client, 2);
    await client.close();
    const events = await platform.api.waitFor(conversationId, (seen) => cancelled(seen).length === 1, { what: "the turn to be stopped" });
    expect(cancelled(events)[0]?.data).toMatchObject({ by: "local", reason: "The MCP client cancelled the call." });
  });
});

describe("limits: a call that outlives its time, and calls over the rate limit", () => {
  const model = hangingModel();
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform({
      model: model.client,
      env: { SWITCHBOARD_MCP_CALL_TIMEOUT_MS: "1000", SWITCHBOARD_USERS: `alice:${ALICE}`, SWITCHBOARD_RATE_MESSAGES: "1", SWITCHBOARD_RATE_WORKFLOW_RUNS: "1" },
    });
  });
  afterAll(async () => {
    await platform.close();
  });

  it("ends with an error that says so, and the turn is stopped", async () => {
    const client = await connect(platform.server.url);
    const result = await client.callTool({ name: "ask_team", arguments: { message: "Think hard about something" } });
    expect(result.isError).toBe(true);
    const conversationId = /conversation (\S+);/.exec(text(result))?.[1] ?? "";
    expect(text(result)).toBe(
      `The team did not finish within 1 s, so the turn was stopped. What it did is kept in conversation ${conversationId}; ask again with that conversationId to go on.`,
    );
    const events = await platform.api.waitFor(conversationId, (seen) => seen.some((event) => event.type === "run.cancelled"), { what: "the turn to be stopped" });
    expect(events.find((event) => event.type === "run.cancelled")?.data).toMatchObject({ by: "local", reason: "The MCP call timed out." });
  });

  it("counts ask_team as a message and run_<workflow> as a workflow run, as REST does", async () => {
    const client = await connect(platform.server.url, ALICE);
    // The first ask is let in (and times out against the hanging model); the second is one too many.
    expect((await client.callTool({ name: "ask_team", arguments: { message: "Think hard" } })).isError).toBe(true);
    const refused = await client.callTool({ name: "ask_team", arguments: { message: "Think harder" } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^Too many messages with this access token; try again in \d+ s\.$/);

    const input = { orderId: "4413", message: "My lamp has not arrived yet" };
    await client.callTool({ name: "run_order_triage", arguments: input });
    const runs = await client.callTool({ name: "run_order_triage", arguments: input });
    expect(runs.isError).toBe(true);
    expect(text(runs)).toMatch(/^Too many workflow runs started with this access token/);
  });
});
