import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent } from "../agents/define-agent.js";
import { defineTool } from "../agents/define-tool.js";
import { scriptedModel } from "../agents/model/scripted-model.js";
import { MESSAGE_CHARS, recordStep } from "../platform/run-steps.js";
import { ApiErrorBody } from "../shared/errors.js";
import { RunStepsResponse } from "../shared/run-steps.js";
import { connectRedis } from "../platform/redis.js";
import { keys } from "../shared/keys.js";
import { ApiClient, startPlatform, testRedis, turnFinished, type Platform } from "./support/harness.js";

const ALICE = "alice-token-0123456789abcdef";

const lookup = defineTool({
  name: "lookup_order",
  description: "Looks up an order by id.",
  parameters: z.object({ orderId: z.string() }),
  execute: async ({ orderId }) => ({ orderId, status: "shipped" }),
});

/** Two steps with a tool call between them for the order question; one plain answer otherwise. */
const model = scriptedModel((request) => {
  const last = request.messages.at(-1);
  if (last?.role === "tool") return "Order A-17 has shipped.";
  if (last?.role === "user" && last.content === "Where is my order A-17?") {
    return { content: "Let me look that up.", toolCalls: [{ name: "lookup_order", arguments: { orderId: "A-17" } }] };
  }
  return "Hello.";
});

let platform: Platform;
let conversationId: string;
let runId: string;
beforeAll(async () => {
  platform = await startPlatform({
    env: { SWITCHBOARD_USERS: `alice:${ALICE}` },
    model: model.client,
    team: [defineAgent({ name: "manager", description: "Answers order questions.", instructions: "You help with orders.", tools: [lookup] })],
  });
  conversationId = await platform.api.createConversation();
  await platform.api.send(conversationId, "Where is my order A-17?");
  const events = await platform.api.waitFor(conversationId, turnFinished);
  runId = events.find((event) => event.type === "run.started")?.runId ?? "";
});
afterAll(async () => platform?.close());

const stepsPath = (conversation: string, run: string) => `/api/conversations/${conversation}/runs/${run}/steps`;

describe("GET /api/conversations/:id/runs/:runId/steps", () => {
  it("gives the owner what each model step was sent and what it answered", async () => {
    const response = await platform.api.request("GET", stepsPath(conversationId, runId));
    expect(response.status).toBe(200);
    const { steps } = RunStepsResponse.parse(response.body);
    expect(steps.map((step) => step.step)).toEqual([0, 1]);
    const [first, second] = steps;
    // The first step was sent the instructions and the question, and offered the tool by name.
    expect(first?.sent.messages.map((message) => [message.role, message.content])).toEqual([
      ["system", "You help with orders."],
      ["user", "Where is my order A-17?"],
    ]);
    expect(first?.sent.tools).toContain("lookup_order");
    expect(first?.answer).toMatchObject({
      text: "Let me look that up.",
      toolCalls: [{ name: "lookup_order", arguments: '{"orderId":"A-17"}' }],
      finishReason: "tool_calls",
    });
    expect(first?.answer.usage.totalTokens).toBeGreaterThan(0);
    // The second was sent the first answer and the tool's result, exactly as the model saw them.
    expect(second?.sent.messages.slice(2).map((message) => message.role)).toEqual(["assistant", "tool"]);
    expect(second?.sent.messages[2]?.toolCalls?.[0]?.name).toBe("lookup_order");
    expect(JSON.parse(second?.sent.messages[3]?.content ?? "null")).toEqual({ orderId: "A-17", status: "shipped" });
    expect(second?.answer).toMatchObject({ text: "Order A-17 has shipped.", toolCalls: [], finishReason: "stop" });
    expect(model.requests).toHaveLength(2);
  });

  it("lets a finished run's steps expire with its checkpoint", async () => {
    const redis = await connectRedis(testRedis());
    try {
      const names = keys(platform.config.prefix);
      const [stepsTtl, runTtl] = await Promise.all([redis.ttl(names.runSteps(conversationId, runId)), redis.ttl(names.run(conversationId, runId))]);
      expect(stepsTtl).toBeGreaterThan(0);
      expect(Math.abs(stepsTtl - runTtl)).toBeLessThanOrEqual(1);
    } finally {
      redis.disconnect();
    }
  });

  it("refuses another user as if the conversation did not exist", async () => {
    const alice = new ApiClient(platform.server.url, ALICE);
    const theirs = await alice.request("GET", stepsPath(conversationId, runId));
    const missing = await alice.request("GET", stepsPath("c00_nosuchconversation00", runId));
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual({ error: { code: "unknown_conversation", message: `No conversation "${conversationId}".` } });
    expect(ApiErrorBody.parse(missing.body).error.code).toBe(ApiErrorBody.parse(theirs.body).error.code);
    expect(missing.status).toBe(theirs.status);
  });

  it("lets the admin read a user's run", async () => {
    const alice = new ApiClient(platform.server.url, ALICE);
    const id = await alice.createConversation();
    await alice.send(id, "Hello");
    const events = await alice.waitFor(id, turnFinished);
    const aliceRun = events.find((event) => event.type === "run.started")?.runId ?? "";
    const asAlice = RunStepsResponse.parse((await alice.request("GET", stepsPath(id, aliceRun))).body);
    const asAdmin = await platform.api.request("GET", stepsPath(id, aliceRun));
    expect(asAdmin.status).toBe(200);
    expect(RunStepsResponse.parse(asAdmin.body)).toEqual(asAlice);
    expect(asAlice.steps.map((step) => step.answer.text)).toEqual(["Hello."]);
  });

  it("refuses a malformed run id and has no steps for an unknown run", async () => {
    const malformed = await platform.api.request("GET", stepsPath(conversationId, "a:b"));
    expect(malformed.status).toBe(400);
    const unknown = await platform.api.request("GET", stepsPath(conversationId, "no-such-run"));
    expect(unknown.body).toEqual({ runId: "no-such-run", steps: [] });
  });
});

describe("recordStep", () => {
  it("cuts long text and leaves out the middle of a long request, keeping the system message and the newest", () => {
    const long = "x".repeat(MESSAGE_CHARS + 10);
    const messages = [
      { role: "system" as const, content: "rules" },
      ...Array.from({ length: 40 }, (_, index) => ({ role: "user" as const, content: `${index} ${long}` })),
    ];
    const record = recordStep({
      step: 3,
      model: "m",
      latencyMs: 1,
      messages,
      tools: [],
      answer: { text: long, toolCalls: [], finishReason: "length", usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } },
    });
    expect(record.answer.truncatedChars).toBe(10);
    expect(record.sent.messages[0]?.content).toBe("rules");
    expect(record.sent.messages.at(-1)?.content.startsWith("39 ")).toBe(true);
    expect(record.sent.messages.at(-1)?.truncatedChars).toBe(13);
    expect(record.sent.omittedMessages).toBe(41 - record.sent.messages.length);
    expect(record.sent.omittedMessages).toBeGreaterThan(0);
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThanOrEqual(64 * 1024);
  });
});
