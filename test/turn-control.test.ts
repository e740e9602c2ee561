/**
 * Control of a turn (#11): Stop aborts the model stream of every run of the turn (delegated
 * children too) and each ends with `run.cancelled` naming who stopped it, never `run.completed`;
 * a stop is durable, so a run that had not started when it landed stops when it does. Retry and
 * edit send a user message again as a new message that names the one it replaces, and the model's
 * context for the new turn leaves the replaced turn out. REST and socket, the owner's only.
 */
import OpenAI from "openai";
import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineAgent } from "../agents/define-agent.js";
import { createChatCompletionsFetch, type ModelReply } from "../agents/model/chat-completions-fetch.js";
import { ApiErrorBody } from "../shared/errors.js";
import type { Event, EventOf } from "../shared/events.js";
import { ApiClient, restartAgents, startPlatform, turnFinished, type Platform } from "./support/harness.js";
import { SocketClient } from "./support/socket-client.js";

const ALICE = "alice-token-0123456789";
const encoder = new TextEncoder();

/** What the model says: an answer streamed at once, tool calls, or words streamed until the call is aborted. */
type Reply = string | { toolCalls: { name: string; arguments: unknown }[] } | { hang: string };

/**
 * A model for these tests: each request's reply comes from `script` (by agent, read from the
 * system message); a `hang` reply streams its words, then holds the stream open until the request
 * is aborted, and counts the abort.
 */
function controlledModel() {
  const requests: { agent: string; request: ChatCompletionCreateParams }[] = [];
  /** Agents whose streams hang, in the order they got there. */
  const hanging: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let aborts = 0;
  let script: (agent: string, request: ChatCompletionCreateParams) => Reply = () => "Done.";
  const agentOf = (request: ChatCompletionCreateParams) => /^AGENT (\w+)/.exec(String(request.messages[0]?.content ?? ""))?.[1] ?? "unknown";
  let current: Reply = "";
  const inner = createChatCompletionsFetch({
    delayMs: 0,
    modelId: "controlled",
    reply: (request): ModelReply => {
      const agent = agentOf(request);
      requests.push({ agent, request });
      current = script(agent, request);
      const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
      if (typeof current === "string") return { content: current, toolCalls: [], usage };
      if ("hang" in current) return { content: current.hang, toolCalls: [], usage };
      const calls = current.toolCalls.map((call, index) => ({ id: `call_${requests.length}_${index}`, name: call.name, arguments: JSON.stringify(call.arguments) }));
      return { content: null, toolCalls: calls, usage };
    },
  });
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await inner(input, init);
    const reply = current;
    if (typeof reply !== "object" || !("hang" in reply) || !response.headers.get("content-type")?.startsWith("text/event-stream")) return response;
    // Every word of the answer, then no finish: the stream stays open until the call is aborted.
    const words = (await response.text()).split("\n\n").filter((event) => event.includes('"content"') && !event.includes("finish_reason\":\"stop"));
    const signal = init?.signal ?? undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const word of words) controller.enqueue(encoder.encode(`${word}\n\n`));
        hanging.push(agentOf(JSON.parse(String(init?.body)) as ChatCompletionCreateParams));
        for (const waiter of waiters.filter((w) => hanging.length >= w.count)) waiter.resolve();
        signal?.addEventListener(
          "abort",
          () => {
            aborts += 1;
            controller.error(signal.reason);
          },
          { once: true },
        );
      },
    });
    return new Response(body, { status: 200, headers: response.headers });
  };
  return {
    client: new OpenAI({ apiKey: "controlled", baseURL: "http://controlled.switchboard/v1", fetch, maxRetries: 0 }),
    requests,
    hanging,
    /** Resolves once `count` streams in all have sent their words and hang. */
    hung(count: number): Promise<void> {
      if (hanging.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    aborts: () => aborts,
    setScript(next: typeof script) {
      script = next;
    },
  };
}

const team = [
  defineAgent({ name: "manager", description: "Routes requests.", instructions: "AGENT manager", handoffs: ["helper"] }),
  defineAgent({ name: "helper", description: "Helps with any part of a request.", instructions: "AGENT helper" }),
];

let platform: Platform;
let model: ReturnType<typeof controlledModel>;
let alice: ApiClient;

beforeAll(async () => {
  model = controlledModel();
  platform = await startPlatform({ team, model: model.client, env: { SWITCHBOARD_USERS: `alice:${ALICE}` } });
  alice = new ApiClient(platform.server.url, ALICE);
});
afterAll(async () => platform?.close());

const errorOf = (body: Record<string, unknown>) => ApiErrorBody.parse(body).error;
const cancelled = (events: Event[]) => events.filter((e): e is EventOf<"run.cancelled"> => e.type === "run.cancelled");
const types = (events: Event[], runId: string) => events.filter((e) => e.runId === runId).map((e) => e.type);

async function connect(token: string | undefined = undefined): Promise<SocketClient> {
  const client = new SocketClient(platform.server.url, token ?? "test-token-0123456789abcdef");
  await client.connected();
  return client;
}

/** The messages (role and text) the model was sent in request `index`, system message left out. */
function context(index: number): string[] {
  const request = model.requests[index]?.request;
  return (request?.messages ?? []).slice(1).map((message) => `${message.role}: ${String(message.content)}`);
}

describe("stop", () => {
  it("aborts the streaming model call at once; the run ends cancelled by the user, its partial text kept as stopped", async () => {
    model.setScript((agent) => (agent === "manager" && model.hanging.length === 0 ? { hang: "Let me think about this carefully" } : "Done."));
    const id = await platform.api.createConversation();
    const socket = await connect();
    await socket.join(id);
    const messageId = await platform.api.send(id, "A long question");
    await model.hung(1);

    const stop = await platform.api.request("POST", `/api/conversations/${id}/stop`, {});
    expect(stop.status).toBe(202);
    const runId = `${id}-${messageId}`;
    expect(stop.body).toEqual({ stopped: [runId], by: "local" });

    const events = await platform.api.waitFor(id, (seen) => cancelled(seen).length === 1);
    const [stopped] = cancelled(events);
    expect(stopped?.runId).toBe(runId);
    expect(stopped?.data.by).toBe("local");
    expect(stopped?.data.partialText).toBe("Let me think about this carefully");
    expect(model.aborts()).toBe(1);

    // A later turn runs to the end; the stopped one got nothing more: no answer, no completion, no more text.
    await platform.api.send(id, "Next question");
    const after = await platform.api.waitFor(id, (seen) => seen.filter((e) => e.type === "run.completed").length === 1);
    expect(types(after, runId)).toEqual(["run.started", "run.cancelled"]);
    await socket.waitFor((seen) => seen.some((e) => e.type === "run.completed"));
    expect(socket.deltas.filter((d) => d.runId === runId).map((d) => d.text).join("")).toBe("Let me think about this carefully");
    expect(turnFinished(after)).toBe(true);
    socket.close();
  });

  it("stops delegated children as well, over the socket: every run of the turn ends cancelled and the manager never resumes", async () => {
    const hangingBefore = model.hanging.length;
    const abortsBefore = model.aborts();
    model.setScript((agent) => {
      if (agent === "manager") {
        return {
          toolCalls: [
            {
              name: "delegate",
              arguments: {
                tasks: [
                  { agent: "helper", task: "part one", reason: "first part" },
                  { agent: "helper", task: "part two", reason: "second part" },
                ],
              },
            },
          ],
        };
      }
      return { hang: "Working on my part" };
    });
    const id = await platform.api.createConversation();
    const socket = await connect();
    await socket.join(id);
    await platform.api.send(id, "Two things at once");
    await model.hung(hangingBefore + 2);
    expect(model.hanging.slice(hangingBefore)).toEqual(["helper", "helper"]);
    const managerCalls = model.requests.filter((r) => r.agent === "manager").length;

    const ack = await socket.socket.emitWithAck("turn:stop", { conversationId: id });
    expect(ack.ok).toBe(true);
    expect(ack.ok && ack.data.stopped).toHaveLength(3);

    const events = await socket.waitFor((seen) => cancelled(seen).length === 3);
    expect(cancelled(events).map((e) => e.agent).sort()).toEqual(["helper", "helper", "manager"]);
    expect(cancelled(events).every((e) => e.data.by === "local")).toBe(true);
    expect(model.aborts() - abortsBefore).toBe(2);
    expect(events.some((e) => e.type === "run.completed" || e.type === "message.agent" || e.type === "handoff.return")).toBe(false);
    expect(turnFinished(events)).toBe(true);
    // The manager was not asked to write an answer from its children's results.
    expect(model.requests.filter((r) => r.agent === "manager")).toHaveLength(managerCalls);
    socket.close();
  });

  it("is durable: a turn stopped before any agents process took it up ends cancelled when one does, without a model call", async () => {
    model.setScript(() => "Done.");
    await platform.agents?.close();
    platform.agents = undefined;
    const id = await platform.api.createConversation();
    const messageId = await platform.api.send(id, "Queued while the agents are down");
    const stop = await platform.api.request("POST", `/api/conversations/${id}/stop`, { reason: "Changed my mind" });
    expect(stop.status).toBe(202);
    const calls = model.requests.length;

    await restartAgents(platform, { team, model: model.client });
    const events = await platform.api.waitFor(id, (seen) => cancelled(seen).length === 1);
    const [stopped] = cancelled(events);
    expect(stopped?.runId).toBe(`${id}-${messageId}`);
    expect(stopped?.data).toMatchObject({ by: "local", reason: "Changed my mind" });
    expect(model.requests.length).toBe(calls);
  });

  it("is refused with 409 when nothing runs, and another user's conversation is unknown (REST and socket)", async () => {
    model.setScript(() => "Done.");
    const id = await platform.api.createConversation();
    await platform.api.send(id, "Quick one");
    await platform.api.waitFor(id, turnFinished);

    const rest = await platform.api.request("POST", `/api/conversations/${id}/stop`, {});
    expect(rest.status).toBe(409);
    expect(errorOf(rest.body).code).toBe("no_running_turn");
    const socket = await connect();
    const ack = await socket.socket.emitWithAck("turn:stop", { conversationId: id });
    expect(ack).toMatchObject({ ok: false, error: { code: "no_running_turn" } });

    expect((await alice.request("POST", `/api/conversations/${id}/stop`, {})).status).toBe(404);
    const theirs = await connect(ALICE);
    expect(await theirs.socket.emitWithAck("turn:stop", { conversationId: id })).toMatchObject({ ok: false, error: { code: "unknown_conversation" } });
    expect((await platform.api.request("POST", `/api/conversations/${id}/stop`, { reason: 5 })).status).toBe(400);
    socket.close();
    theirs.close();
  });
});

describe("retry and edit", () => {
  it("sends a message again as a new one that replaces it; the new turn's context leaves out the replaced turn and what followed", async () => {
    model.setScript((_agent, request) => `Answer to ${String(request.messages.at(-1)?.content)}`);
    const id = await platform.api.createConversation();
    const alpha = await platform.api.send(id, "alpha");
    await platform.api.waitFor(id, turnFinished, { after: alpha });
    const beta = await platform.api.send(id, "beta");
    await platform.api.waitFor(id, turnFinished, { after: beta });

    // Edit beta (socket): the context is alpha's turn and the new text, not beta's turn.
    const socket = await connect();
    const edited = await socket.socket.emitWithAck("message:edit", { conversationId: id, eventId: beta, text: "gamma", clientMsgId: "edit-1" });
    expect(edited.ok).toBe(true);
    const gamma = edited.ok ? edited.data.eventId : "";
    await platform.api.waitFor(id, turnFinished, { after: gamma });
    expect(context(model.requests.length - 1)).toEqual(["user: alpha", "assistant: Answer to alpha", "user: gamma"]);
    // The same clientMsgId again: the same message, no second turn.
    const again = await socket.socket.emitWithAck("message:edit", { conversationId: id, eventId: beta, text: "gamma", clientMsgId: "edit-1" });
    expect(again).toEqual({ ok: true, data: { eventId: gamma } });

    // Retry alpha (REST): a fork from the first message, so nothing before it is context.
    const retried = await platform.api.request("POST", `/api/conversations/${id}/messages/${alpha}/retry`, {});
    expect(retried.status).toBe(202);
    const alpha2 = retried.body.eventId as string;
    await platform.api.waitFor(id, turnFinished, { after: alpha2 });
    expect(context(model.requests.length - 1)).toEqual(["user: alpha"]);

    const delta = await platform.api.send(id, "delta");
    await platform.api.waitFor(id, turnFinished, { after: delta });
    expect(context(model.requests.length - 1)).toEqual(["user: alpha", "assistant: Answer to alpha", "user: delta"]);

    // Everything stays in the log; the new messages say what they replace.
    const log = await platform.api.events(id);
    const users = log.filter((e): e is EventOf<"message.user"> => e.type === "message.user");
    expect(users.map((e) => [e.data.text, e.data.replaces, e.data.mode])).toEqual([
      ["alpha", undefined, undefined],
      ["beta", undefined, undefined],
      ["gamma", beta, "edit"],
      ["alpha", alpha, "retry"],
      ["delta", undefined, undefined],
    ]);
    expect(log.filter((e) => e.type === "message.agent").map((e) => e.type === "message.agent" && e.data.text)).toEqual([
      "Answer to alpha",
      "Answer to beta",
      "Answer to gamma",
      "Answer to alpha",
      "Answer to delta",
    ]);
    socket.close();
  });

  it("refuses while a turn runs, until it is stopped; refuses events that are not user messages, unknown ids and other users", async () => {
    model.setScript((agent) => (agent === "manager" ? { hang: "Still going" } : "Done."));
    const hangingBefore = model.hanging.length;
    const id = await platform.api.createConversation();
    const first = await platform.api.send(id, "first");
    await model.hung(hangingBefore + 1);

    const busy = await platform.api.request("POST", `/api/conversations/${id}/messages/${first}/retry`, {});
    expect(busy.status).toBe(409);
    expect(errorOf(busy.body).code).toBe("turn_running");
    const socket = await connect();
    expect(await socket.socket.emitWithAck("message:retry", { conversationId: id, eventId: first, clientMsgId: "r1" })).toMatchObject({
      ok: false,
      error: { code: "turn_running" },
    });

    expect((await platform.api.request("POST", `/api/conversations/${id}/stop`, {})).status).toBe(202);
    // Retrying right after the stop is allowed: the stopped runs do not block it while they end.
    model.setScript(() => "Done.");
    const retried = await platform.api.request("POST", `/api/conversations/${id}/messages/${first}/retry`, {});
    expect(retried.status).toBe(202);
    const events = await platform.api.waitFor(id, (seen) => cancelled(seen).length === 1 && seen.some((e) => e.type === "run.completed"));
    const started = events.find((e) => e.type === "run.started");
    if (!started) throw new Error("no run.started in the log");

    const notUser = await platform.api.request("POST", `/api/conversations/${id}/messages/${started.id}/retry`, {});
    expect(notUser.status).toBe(409);
    expect(errorOf(notUser.body)).toMatchObject({ code: "not_user_message" });
    expect(errorOf(notUser.body).message).toMatch(/run\.started/);
    const unknown = await platform.api.request("POST", `/api/conversations/${id}/messages/1-0/edit`, { text: "x" });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe("unknown_message");
    expect((await platform.api.request("POST", `/api/conversations/${id}/messages/not-an-id/retry`, {})).status).toBe(404);
    const blank = await platform.api.request("POST", `/api/conversations/${id}/messages/${first}/edit`, { text: "   " });
    expect(blank.status).toBe(400);
    expect(errorOf(blank.body).code).toBe("invalid_message");
    expect(await socket.socket.emitWithAck("message:edit", { conversationId: id, eventId: first, text: "no id" } as never)).toMatchObject({
      ok: false,
      error: { code: "invalid_message" },
    });

    expect((await alice.request("POST", `/api/conversations/${id}/messages/${first}/retry`, {})).status).toBe(404);
    expect((await alice.request("POST", `/api/conversations/${id}/messages/${first}/edit`, { text: "mine now" })).status).toBe(404);
    const theirs = await connect(ALICE);
    expect(await theirs.socket.emitWithAck("message:retry", { conversationId: id, eventId: first, clientMsgId: "r2" })).toMatchObject({
      ok: false,
      error: { code: "unknown_conversation" },
    });
    socket.close();
    theirs.close();
  });
});
