import { afterEach, describe, expect, it } from "vitest";
import type { Event, EventOf } from "../shared/events.js";
import { startChatCompletionsServer, type ChatCompletionsServer, type ScriptedFault } from "./support/chat-completions-server.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";

let model: ChatCompletionsServer | undefined;
let platform: Platform | undefined;
afterEach(async () => {
  await platform?.close();
  await model?.close();
  platform = model = undefined;
});

/** The team pointed at a real HTTP server through OPENAI_BASE_URL, as with Ollama or vLLM. */
async function askThroughServer(text: string, faults?: (index: number) => ScriptedFault | undefined): Promise<Event[]> {
  model = await startChatCompletionsServer({ faults });
  platform = await startPlatform({ env: { OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "local-model" } });
  const conversationId = await platform.api.createConversation();
  await platform.api.send(conversationId, text);
  return platform.api.waitFor(conversationId, turnFinished);
}

describe("OPENAI_BASE_URL: any server that speaks chat completions", () => {
  it("runs the team against it: streamed chunks, tool calls and usage", async () => {
    const events = await askThroughServer("What is 17.5% of 2,480?");
    const answer = events.find((e): e is EventOf<"message.agent"> => e.type === "message.agent" && e.agent === "calculator");
    expect(answer?.data.text).toContain("434");
    const started = events.find((e): e is EventOf<"run.started"> => e.type === "run.started");
    expect(started?.data.model).toBe("local-model");
    const bodies = model?.requests as { model: string; stream: boolean; tools?: unknown[] }[];
    expect(bodies.length).toBe(3);
    expect(bodies.every((body) => body.model === "local-model" && body.stream === true)).toBe(true);
  });

  it("retries a 429 and then succeeds", async () => {
    const events = await askThroughServer("What is 17.5% of 2,480?", (index) =>
      index === 0 ? { status: 429, message: "slow down" } : undefined,
    );
    expect(events.some((e) => e.type === "run.failed")).toBe(false);
    expect(events.find((e) => e.type === "message.agent" && e.agent === "calculator")).toBeTruthy();
    expect(model?.requests.length).toBe(4);
  });

  it("ends in run.failed with a reason a person can act on when the server keeps failing", async () => {
    const events = await askThroughServer("What is 17.5% of 2,480?", () => ({ status: 500, message: "model crashed" }));
    const failed = events.find((e): e is EventOf<"run.failed"> => e.type === "run.failed");
    expect(failed?.agent).toBe("manager");
    expect(failed?.data.code).toBe("model_error");
    expect(failed?.data.reason).toMatch(/failed \(500\) after retries/);
    // The SDK's own retries: one call and three more.
    expect(model?.requests.length).toBe(4);
    expect(events.map((e) => e.type)).toEqual(["message.user", "run.started", "run.failed"]);
  });
});
