import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../shared/events.js";
import { AgentsProcess } from "./support/agents-process.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chat-completions-server.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";

let model: ChatCompletionsServer;
let platform: Platform;
const processes: AgentsProcess[] = [];

beforeAll(async () => {
  // Slow words, so the kill lands while a run is in the middle of its steps.
  model = await startChatCompletionsServer({ delayMs: 40 });
  platform = await startPlatform({ agents: false, env: { OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "offline" } });
});
afterAll(async () => {
  for (const agents of processes) await agents.kill();
  await platform.close();
  await model.close();
});

/** A separate agents process, as `npm run start:agents` runs it; resolves once it logs "agents ready". */
async function startAgentsProcess(): Promise<AgentsProcess> {
  const agents = await AgentsProcess.start({ SWITCHBOARD_PREFIX: platform.config.prefix, OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "offline" });
  processes.push(agents);
  return agents;
}

describe("durability", () => {
  // Two agents processes start here (tsx compiles them at run time): slow on a loaded machine.
  it("resumes a run killed mid-step from its last finished step, once, with no duplicate events", { timeout: 300_000 }, async () => {
    const first = await startAgentsProcess();
    const conversationId = await platform.api.createConversation();
    await platform.api.send(conversationId, "What is 17.5% of 2,480?");

    // Kill the process once the calculator has finished its first step (the tool call is logged).
    await platform.api.waitFor(conversationId, (events) => events.some((e) => e.type === "tool.call"));
    await first.kill();
    const sentBeforeKill = model.requests.length;
    const before = await platform.api.events(conversationId);
    expect(before.some((e) => e.type === "run.completed" && e.agent === "calculator")).toBe(false);

    await startAgentsProcess();
    const events = await platform.api.waitFor(conversationId, turnFinished);

    const answers = events.filter((e) => e.type === "message.agent");
    expect(answers).toHaveLength(1);
    expect(answers[0]?.type === "message.agent" && answers[0].data.text).toContain("434");
    expect(events.filter((e) => e.type === "run.completed").map((e) => e.agent)).toEqual(["manager", "calculator"]);
    expect(events.filter((e) => e.type === "run.started")).toHaveLength(2);
    expect(events.filter((e) => e.type === "tool.call")).toHaveLength(1);
    expect(events.filter((e) => e.type === "tool.result")).toHaveLength(1);
    expect(duplicates(events)).toEqual([]);

    // No finished step was sent to the model again: the only request repeated after the restart
    // is the one that was streaming when the process died.
    const signatures = (model.requests as { messages: unknown }[]).map((body) => JSON.stringify(body.messages));
    const repeated = signatures.filter((signature, index) => signatures.indexOf(signature) !== index);
    expect(repeated.length).toBeLessThanOrEqual(1);
    if (repeated.length === 1) expect(signatures.indexOf(repeated[0] as string)).toBe(sentBeforeKill - 1);
    expect(signatures.length).toBeLessThanOrEqual(4);
  });
});

/** Events that say the same thing twice: same run, same type, same tool call. */
function duplicates(events: Event[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const event of events) {
    const toolCall = "toolCallId" in event.data ? event.data.toolCallId : "";
    const key = `${event.runId}/${event.type}/${toolCall}`;
    if (event.type !== "message.user" && seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
}
