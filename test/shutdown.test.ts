import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentsProcess } from "./support/agents-process.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chat-completions-server.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";

/**
 * SIGTERM of an agents process whose run is stuck in a model call that never answers: the process
 * still exits after SWITCHBOARD_DRAIN_MS, and the run it could not finish is finished by another
 * agents process, once.
 */

let model: ChatCompletionsServer;
let platform: Platform;
const processes: AgentsProcess[] = [];
/** Resolves when the model has received its first request (the one it never answers). */
let firstRequest: () => void = () => {};
const asked = new Promise<void>((resolve) => (firstRequest = resolve));
const never = new Promise<void>(() => {});

beforeAll(async () => {
  model = await startChatCompletionsServer({
    hold: (index) => {
      if (index !== 0) return undefined;
      firstRequest();
      return never;
    },
  });
  platform = await startPlatform({ agents: false, env: { OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "offline" } });
});
afterAll(async () => {
  for (const agents of processes) await agents.kill();
  await platform.close();
  await model.close();
});

async function startAgentsProcess(): Promise<AgentsProcess> {
  const agents = await AgentsProcess.start({
    SWITCHBOARD_PREFIX: platform.config.prefix,
    OPENAI_BASE_URL: model.baseUrl,
    SWITCHBOARD_MODEL: "offline",
    SWITCHBOARD_DRAIN_MS: "300",
    // The hung call would otherwise give up on its own long after the test's timeout.
    SWITCHBOARD_MODEL_FIRST_TOKEN_MS: "3600000",
  });
  processes.push(agents);
  return agents;
}

describe("shutdown", () => {
  it("exits on SIGTERM within the drain time despite a hung model call; the run resumes in another process", { timeout: 300_000 }, async () => {
    const first = await startAgentsProcess();
    const conversationId = await platform.api.createConversation();
    await platform.api.send(conversationId, "Hello! Who are you?");
    await asked;

    const exited = once(first.child, "exit");
    first.child.kill("SIGTERM");
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    // A clean exit (not killed), while the model still had not answered.
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(model.requests).toHaveLength(1);
    expect((await platform.api.events(conversationId)).some((e) => e.type === "run.completed" || e.type === "run.failed")).toBe(false);

    await startAgentsProcess();
    const events = await platform.api.waitFor(conversationId, turnFinished);
    expect(events.filter((e) => e.type === "run.completed")).toHaveLength(1);
    expect(events.filter((e) => e.type === "run.started")).toHaveLength(1);
    expect(events.filter((e) => e.type === "message.agent")).toHaveLength(1);
    expect(events.some((e) => e.type === "run.failed")).toBe(false);
  });
});
