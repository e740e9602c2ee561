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
/** The manager answers this itself, in words: a stream with text to cut. */
const GREETING = "Hello! Who are you?";
const HTML = "<!doctype html><html><head><title>Sign in</title></head><body><form>Sign in: user: password:</form></body></html>";

async function ask(
  server: ChatCompletionsServerOptions,
  env: Record<string, string> = {},
  question = QUESTION,
): Promise<{ events: Event[]; failed: EventOf<"run.failed"> | undefined }> {
  model = await startChatCompletionsServer(server);
  platform = await startPlatform({ env: { OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "local-model", ...env } });
  const conversationId = await platform.api.createConversation();
  await platform.api.send(conversationId, question);
  const events = await platform.api.waitFor(conversationId, turnFinished);
  const failed = events.find((e): e is EventOf<"run.failed"> => e.type === "run.failed");
  return { events, failed };
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

/** Long enough that a test only ends in time if the product gave up for the reason under test. */
const NEVER = "3600000";

describe("a model that hangs", () => {
  it("fails the run when no token comes within SWITCHBOARD_MODEL_FIRST_TOKEN_MS, without retrying", async () => {
    const held = new Promise<void>((resolve) => (release = resolve));
    const { failed } = await ask({ hold: () => held }, { SWITCHBOARD_MODEL_FIRST_TOKEN_MS: "400" });
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/did not answer within 0\.4 s/);
    expect(model?.requests.length).toBe(1);
  });

  it("says the model is slow while the first token is late, then answers", async () => {
    let asked: () => void = () => {};
    const answered = new Promise<void>((resolve) => (asked = resolve));
    model = await startChatCompletionsServer({ hold: (index) => (index === 0 ? answered : undefined) });
    platform = await startPlatform({
      env: { OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "local-model", SWITCHBOARD_MODEL_SLOW_MS: "200", SWITCHBOARD_MODEL_FIRST_TOKEN_MS: NEVER },
    });
    const conversationId = await platform.api.createConversation();
    await platform.api.send(conversationId, GREETING);
    const slow = (await platform.api.waitFor(conversationId, (events) => events.some((e) => e.type === "run.slow"))).find(
      (e): e is EventOf<"run.slow"> => e.type === "run.slow",
    );
    expect(slow?.data).toMatchObject({ step: 0, waitedMs: 200 });
    expect(slow?.data.message).toMatch(/has not started answering after 0\.2 s; still waiting \(up to 3600 s\)/);
    asked();
    const events = await platform.api.waitFor(conversationId, turnFinished);
    expect(events.filter((e) => e.type === "run.completed")).toHaveLength(1);
    expect(events.filter((e) => e.type === "run.slow")).toHaveLength(1);
  });

  it("retries a step that goes silent mid-answer, then fails naming SWITCHBOARD_MODEL_IDLE_MS", async () => {
    const { failed, events } = await ask({ cuts: () => ({ afterEvents: 1, then: "hang" }) }, { SWITCHBOARD_MODEL_IDLE_MS: "400", SWITCHBOARD_MODEL_STEP_RETRIES: "1" });
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/stopped answering: nothing for 0\.4 s mid-answer.*\(2 attempts\)/);
    expect(events.filter((e) => e.type === "run.retrying")).toHaveLength(1);
    expect(model?.requests.length).toBe(2);
  });

  it("bounds a not-streamed call by the first-token time too", async () => {
    const held = new Promise<void>((resolve) => (release = resolve));
    const { client } = await directClient({ hold: () => held }, { SWITCHBOARD_MODEL_FIRST_TOKEN_MS: "300" });
    const failure = await failureOf(completeModelCall(client, { model: "m", messages }));
    expect(failure.message).toMatch(/did not answer within 0\.3 s/);
  });
});

describe("a stream cut or malformed", () => {
  it("retries a step whose stream was cut mid-answer: the partial text is kept as replaced, the retry answers", async () => {
    const { events, failed } = await ask({ cuts: (index) => (index === 0 ? { afterEvents: 4, then: "destroy" } : undefined) }, { SWITCHBOARD_MODEL_IDLE_MS: NEVER }, GREETING);
    expect(failed).toBeUndefined();
    const retry = events.find((e): e is EventOf<"run.retrying"> => e.type === "run.retrying");
    expect(retry?.data).toMatchObject({ step: 0, attempt: 2, maxAttempts: 3 });
    expect(retry?.data.reason).toMatch(/cut off before it finished/);
    const answer = events.find((e): e is EventOf<"message.agent"> => e.type === "message.agent");
    // What the user saw of the cut attempt is the start of the answer the retry gave in full.
    expect(retry?.data.replacedText.length).toBeGreaterThan(0);
    expect(answer?.data.text.startsWith(retry?.data.replacedText ?? "?")).toBe(true);
    expect(answer?.data.text.length).toBeGreaterThan(retry?.data.replacedText.length ?? 0);
    expect(events.filter((e) => e.type === "message.agent")).toHaveLength(1);
    expect(model?.requests.length).toBe(2);
  });

  it("gives up after SWITCHBOARD_MODEL_STEP_RETRIES when every attempt is cut, saying how often it tried", async () => {
    const { events, failed } = await ask({ cuts: () => ({ afterEvents: 2, then: "destroy" }) }, { SWITCHBOARD_MODEL_IDLE_MS: NEVER, SWITCHBOARD_MODEL_STEP_RETRIES: "2" });
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/cut off before it finished.*\(3 attempts\)/);
    expect(events.filter((e) => e.type === "run.retrying").map((e) => (e as EventOf<"run.retrying">).data.attempt)).toEqual([2, 3]);
    expect(model?.requests.length).toBe(3);
  });

  it("treats a stream that ends without a finish reason as cut (a partial answer is not an answer)", async () => {
    const { events, failed } = await ask({ cuts: () => ({ afterEvents: 2, then: "end" }) }, { SWITCHBOARD_MODEL_STEP_RETRIES: "0" });
    expect(failed?.data.reason).toMatch(/cut off before it finished/);
    expect(events.some((e) => e.type === "run.completed" || e.type === "run.retrying")).toBe(false);
  });

  it("fails at once, without retrying, on stream data that is not JSON, even if the connection stays open", async () => {
    const { failed } = await ask(
      { replies: () => ({ contentType: "text/event-stream", body: 'data: {"id": oops\n\n', then: "hang" }) },
      { SWITCHBOARD_MODEL_IDLE_MS: NEVER, SWITCHBOARD_MODEL_FIRST_TOKEN_MS: NEVER },
    );
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/not valid JSON/);
    expect(failed?.data.reason).not.toContain("oops");
    expect(model?.requests.length).toBe(1);
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
