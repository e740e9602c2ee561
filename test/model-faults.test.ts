import { afterEach, describe, expect, it } from "vitest";
import { RunFailure } from "../agents/errors.js";
import { completeModelCall, createModelClient, streamModelTurn } from "../agents/model/model-client.js";
import type { Event, EventOf } from "../shared/events.js";
import { startChatCompletionsServer, type ChatCompletionsServer, type ChatCompletionsServerOptions } from "./support/chat-completions-server.js";
import { startPlatform, testConfig, turnFinished, type Platform } from "./support/harness.js";

/**
 * A model server that misbehaves, through the real SDK and the real HTTP hop: what the user sees
 * is a `run.failed` with a reason a person can act on, soon; the raw detail goes to the log.
 */

let model: ChatCompletionsServer | undefined;
let platform: Platform | undefined;
/** Releases held requests, so the server can close. */
let release: (() => void) | undefined;
afterEach(async () => {
  release?.();
  await platform?.close();
  await model?.close();
  platform = model = release = undefined;
});

const QUESTION = "What is 17.5% of 2,480?";
const HTML = "<!doctype html><html><head><title>Sign in</title></head><body><form>Sign in: user: password:</form></body></html>";

async function ask(server: ChatCompletionsServerOptions, env: Record<string, string> = {}): Promise<{ events: Event[]; failed: EventOf<"run.failed"> | undefined; ms: number }> {
  model = await startChatCompletionsServer(server);
  platform = await startPlatform({ env: { OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "local-model", ...env } });
  const conversationId = await platform.api.createConversation();
  const started = performance.now();
  await platform.api.send(conversationId, QUESTION);
  const events = await platform.api.waitFor(conversationId, turnFinished);
  const failed = events.find((e): e is EventOf<"run.failed"> => e.type === "run.failed");
  return { events, failed, ms: performance.now() - started };
}

/** A client as the agents process makes one, with a log that keeps what it is told. */
async function directClient(server: ChatCompletionsServerOptions, env: Record<string, string> = {}) {
  model = await startChatCompletionsServer(server);
  const logged: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = { warn: (obj: Record<string, unknown>, msg: string) => void logged.push({ obj, msg }) };
  const config = testConfig({ OPENAI_BASE_URL: model.baseUrl, ...env });
  return { client: createModelClient(config.model, { maxRetries: 0, log }), logged };
}

const messages = [{ role: "user" as const, content: QUESTION }];

async function failureOf(call: Promise<unknown>): Promise<RunFailure> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RunFailure);
  return error as RunFailure;
}

describe("a model server that does not speak chat completions", () => {
  it("fails the run, naming OPENAI_BASE_URL, when it answers 200 with an HTML page", async () => {
    const { events, failed } = await ask({ replies: () => ({ contentType: "text/html; charset=utf-8", body: HTML }) });
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toBe(
      `The server at ${model?.baseUrl} answered with an HTML page, not the OpenAI chat completions API: check OPENAI_BASE_URL (it usually ends in /v1).`,
    );
    expect(events.some((e) => e.type === "run.completed" || e.type === "message.agent")).toBe(false);
  });

  it("fails a run whose stream carries no reply at all", async () => {
    const { failed } = await ask({ replies: () => ({ contentType: "text/event-stream", body: "data: [DONE]\n\n" }) });
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/sent no answer.*OPENAI_BASE_URL/);
  });

  it("fails a workflow-style (not streamed) call on HTML, on JSON without choices, and on an empty answer", async () => {
    const { client } = await directClient({
      replies: (index) =>
        index === 0
          ? { contentType: "text/html", body: HTML }
          : index === 1
            ? { contentType: "application/json", body: JSON.stringify({ object: "list", data: [] }) }
            : { contentType: "application/json", body: JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: "" } }] }) },
    });
    const html = await failureOf(completeModelCall(client, { model: "m", messages }));
    expect(html.message).toMatch(/answered with an HTML page, not the OpenAI chat completions API: check OPENAI_BASE_URL/);
    const noChoices = await failureOf(completeModelCall(client, { model: "m", messages }));
    expect(noChoices.message).toMatch(/not a chat completion.*OPENAI_BASE_URL/);
    const empty = await failureOf(completeModelCall(client, { model: "m", messages }));
    expect(empty.message).toMatch(/empty answer/);
  });
});

describe("a model that hangs", () => {
  it("fails the run when no token comes within SWITCHBOARD_MODEL_FIRST_TOKEN_MS, without retrying", async () => {
    const held = new Promise<void>((resolve) => (release = resolve));
    const { failed, ms } = await ask({ hold: () => held }, { SWITCHBOARD_MODEL_FIRST_TOKEN_MS: "400" });
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/did not answer within 0\.4 s/);
    expect(ms).toBeLessThan(5000);
    expect(model?.requests.length).toBe(1);
  });

  it("fails the run when the stream goes silent for SWITCHBOARD_MODEL_IDLE_MS", async () => {
    const { failed, ms } = await ask({ cuts: () => ({ afterEvents: 1, then: "hang" }) }, { SWITCHBOARD_MODEL_IDLE_MS: "400" });
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/stopped answering: nothing for 0\.4 s/);
    expect(ms).toBeLessThan(5000);
  });

  it("bounds a not-streamed call by the first-token time too", async () => {
    const held = new Promise<void>((resolve) => (release = resolve));
    const { client } = await directClient({ hold: () => held }, { SWITCHBOARD_MODEL_FIRST_TOKEN_MS: "300" });
    const failure = await failureOf(completeModelCall(client, { model: "m", messages }));
    expect(failure.message).toMatch(/did not answer within 0\.3 s/);
  });
});

describe("a stream cut or malformed", () => {
  it("fails at once when the connection drops mid-answer", async () => {
    const { failed, ms } = await ask({ cuts: () => ({ afterEvents: 2, then: "destroy" }) });
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/cut off before it finished/);
    expect(ms).toBeLessThan(5000);
  });

  it("fails when the stream ends without a finish reason (a partial answer is not an answer)", async () => {
    const { events, failed } = await ask({ cuts: () => ({ afterEvents: 2, then: "end" }) });
    expect(failed?.data.reason).toMatch(/cut off before it finished/);
    expect(events.some((e) => e.type === "run.completed")).toBe(false);
  });

  it("fails at once on stream data that is not JSON, even if the connection stays open", async () => {
    const { failed, ms } = await ask({ replies: () => ({ contentType: "text/event-stream", body: 'data: {"id": oops\n\n', then: "hang" }) });
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/not valid JSON/);
    expect(failed?.data.reason).not.toContain("oops");
    expect(ms).toBeLessThan(5000);
  });
});

describe("reasons are for people, details for the log", () => {
  it("does not echo a 500's body to the user", async () => {
    const { failed } = await ask({ faults: () => ({ status: 500, message: "segfault in /opt/secret/model.py line 42" }) });
    expect(failed?.data.reason).toBe("The model service failed (500) after retries; try again later.");
  });

  it("hands the status and body to the log and on the failure", async () => {
    const { client, logged } = await directClient({ faults: () => ({ status: 500, message: "segfault in /opt/secret/model.py line 42" }) });
    const failure = await failureOf(streamModelTurn(client, { model: "m", messages, tools: [] }, () => {}));
    expect(failure.message).not.toContain("segfault");
    expect(failure.detail).toMatch(/500.*segfault in \/opt\/secret\/model\.py line 42/);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.obj.detail).toBe(failure.detail);
  });
});
