import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventOf } from "../shared/events.js";
import { AgentsProcess } from "./support/agents-process.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chat-completions-server.js";
import { startPlatform, type Platform } from "./support/harness.js";
import { approvalAsked, duplicates, ended, path, runEnded, startRun } from "./support/workflow-client.js";

/** The prompt of a request as the model server received it. */
const promptOf = (body: unknown) => JSON.stringify((body as { messages?: unknown[] }).messages?.at(-1) ?? "");

let model: ChatCompletionsServer;
let platform: Platform;
const processes: AgentsProcess[] = [];
/** Requests to hold until the agents process that sent them is dead: the kill lands mid-step. */
const holds: { match: (prompt: string) => boolean; reached: () => void; release: Promise<void> }[] = [];

function holdNext(match: (prompt: string) => boolean): { reached: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  holds.push({ match, reached, release: new Promise<void>((resolve) => (release = resolve)) });
  return { reached: reachedPromise, release };
}

beforeAll(async () => {
  model = await startChatCompletionsServer({
    hold: (_index, body) => {
      const at = holds.findIndex((hold) => hold.match(promptOf(body)));
      if (at < 0) return undefined;
      const [hold] = holds.splice(at, 1);
      hold?.reached();
      return hold?.release;
    },
  });
  platform = await startPlatform({ agents: false, env: { OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "offline" } });
});
afterAll(async () => {
  for (const agents of processes) await agents.kill();
  await platform.close();
  await model.close();
});

async function startAgents(): Promise<AgentsProcess> {
  const agents = await AgentsProcess.start({ SWITCHBOARD_PREFIX: platform.config.prefix, OPENAI_BASE_URL: model.baseUrl, SWITCHBOARD_MODEL: "offline" });
  processes.push(agents);
  return agents;
}

describe("durable workflow runs", () => {
  // Three agents processes start here (tsx compiles each at run time): slow on a loaded machine.
  it("finishes once after SIGKILLs in a loop round and in a parallel branch: no finished step runs again, nothing logged twice", { timeout: 300_000 }, async () => {
    const first = await startAgents();
    const inLoop = holdNext((prompt) => prompt.includes("Revise the draft to address the feedback"));
    const { runId, conversationId } = await startRun(platform.api, "content-pipeline", { topic: "durable workflow runs", audience: "operators" });
    await inLoop.reached;
    await first.kill();
    inLoop.release();

    const inBranch = holdNext((prompt) => prompt.includes("Translate into French"));
    const second = await startAgents();
    await inBranch.reached;
    await second.kill();
    inBranch.release();

    await startAgents();
    const asked = (await platform.api.waitFor(conversationId, approvalAsked(runId))).find(
      (e): e is EventOf<"approval.requested"> => e.type === "approval.requested",
    );
    expect((await platform.api.request("POST", `/api/approvals/${asked?.data.approvalId}`, { decision: "approve" })).status).toBe(200);
    const events = await platform.api.waitFor(conversationId, runEnded(runId));

    const end = ended(events, runId);
    expect(end.type).toBe("workflow.completed");
    expect(events.filter((e) => e.type === "workflow.completed")).toHaveLength(1);
    expect(duplicates(events)).toEqual([]);
    const done = path(events, runId);
    expect(new Set(done).size).toBe(done.length);
    expect(done).toContain("loop/revise@2");
    expect(done).toContain("parallel/fr/translate-fr");

    // Every model call the run counted was sent once, but for the steps cut off by the kills: the
    // two held ones, and a translation running beside the French one that may not have been journaled.
    const prompts = model.requests.map(promptOf);
    const repeated = prompts.filter((prompt, index) => prompts.indexOf(prompt) !== index);
    expect(prompts.length).toBe(end.data.modelCalls + repeated.length);
    expect(repeated.some((prompt) => prompt.includes("Revise the draft"))).toBe(true);
    expect(repeated.some((prompt) => prompt.includes("Translate into French"))).toBe(true);
    expect(repeated.every((prompt) => /Revise the draft|Translate into (French|German)/.test(prompt))).toBe(true);
    expect(repeated.length).toBeLessThanOrEqual(3);
  });
});
