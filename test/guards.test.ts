import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, type AgentDefinition } from "../agents/define-agent.js";
import { defineTool } from "../agents/define-tool.js";
import type { Event, EventOf } from "../shared/events.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.close();
  platform = undefined;
});

async function ask(env: Record<string, string>, text: string, team?: AgentDefinition[]): Promise<Event[]> {
  platform = await startPlatform({ env, team });
  const conversationId = await platform.api.createConversation();
  await platform.api.send(conversationId, text);
  return platform.api.waitFor(conversationId, turnFinished);
}

const failures = (events: Event[]) => events.filter((e): e is EventOf<"run.failed"> => e.type === "run.failed");

/** Two agents whose descriptions both fit "bounce" requests, each allowed to hand to the other. */
function bouncingTeam() {
  return [
    defineAgent({ name: "manager", description: "Routes bounce requests to the bouncer.", instructions: "Route.", handoffs: ["bouncer"] }),
    defineAgent({ name: "bouncer", description: "Handles bounce requests, sending them back.", instructions: "Bounce.", handoffs: ["manager"] }),
  ];
}

describe("run guards", () => {
  it("stops a run at the step limit with a reason", async () => {
    const events = await ask({ SWITCHBOARD_MAX_STEPS: "1" }, "What is 17.5% of 2,480?");
    const [failed] = failures(events);
    expect(failed?.agent).toBe("calculator");
    expect(failed?.data.code).toBe("step_limit");
    expect(failed?.data.reason).toMatch(/after 1 model steps/);
    expect(failed?.data.steps).toHaveLength(1);
  });

  it("fails closed on the token budget before calling the model", async () => {
    const events = await ask({ SWITCHBOARD_TOKEN_BUDGET: "100" }, "What is 17.5% of 2,480?");
    const [failed] = failures(events);
    expect(failed?.agent).toBe("manager");
    expect(failed?.data.code).toBe("token_budget");
    expect(failed?.data.reason).toMatch(/before the next model call/);
    expect(failed?.data.usage.totalTokens).toBe(0);
    expect(events.some((e) => e.type === "handoff")).toBe(false);
  });

  it("refuses to bounce work back and forth between two agents", async () => {
    const events = await ask({}, "bounce this request", bouncingTeam());
    const moves = events.filter((e): e is EventOf<"handoff"> => e.type === "handoff").map((e) => `${e.data.from}>${e.data.to}`);
    expect(moves).toEqual(["manager>bouncer", "bouncer>manager"]);
    const refused = events.find((e): e is EventOf<"tool.result"> => e.type === "tool.result" && !e.data.ok);
    expect(refused?.data.error).toMatch(/already handed this work to bouncer/);
    expect(events.filter((e) => e.type === "message.agent").at(-1)?.agent).toBe("manager");
  });

  it("refuses a handoff past the maximum depth", async () => {
    const events = await ask({ SWITCHBOARD_MAX_HANDOFF_DEPTH: "1" }, "bounce this request", bouncingTeam());
    const refused = events.find((e): e is EventOf<"tool.result"> => e.type === "tool.result" && !e.data.ok);
    expect(refused?.agent).toBe("bouncer");
    expect(refused?.data.error).toMatch(/limit 1/);
    expect(events.filter((e) => e.type === "handoff")).toHaveLength(1);
  });

  it("returns invalid tool arguments to the model as an observation", async () => {
    const checkEven = defineTool({
      name: "check_even",
      description: "Checks whether a number is even.",
      parameters: z.object({ n: z.number().int().describe("the number to check").refine((n) => n % 2 === 0, "n must be even") }),
      execute: ({ n }) => ({ n, answer: `${n} is even` }),
    });
    const team = [
      defineAgent({ name: "manager", description: "Routes requests to the checker.", instructions: "Route.", handoffs: ["checker"] }),
      defineAgent({ name: "checker", description: "Checks whether a number is even.", instructions: "Check numbers.", tools: [checkEven] }),
    ];
    const events = await ask({}, "check whether 3 is even", team);
    const result = events.find((e): e is EventOf<"tool.result"> => e.type === "tool.result");
    expect(result?.data.ok).toBe(false);
    expect(result?.data.error).toMatch(/Invalid arguments for check_even/);
    expect(result?.data.error).toMatch(/n must be even/);
    const completed = events.find((e) => e.type === "run.completed" && e.agent === "checker");
    expect(completed).toBeDefined();
    expect(events.some((e) => e.type === "message.agent" && e.agent === "checker")).toBe(true);
  });
});
