import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event, EventOf, EventType } from "../shared/events.js";
import { startPlatform, turnFinished, type Platform } from "./support/harness.js";

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => platform.close());

async function ask(text: string): Promise<Event[]> {
  const conversationId = await platform.api.createConversation();
  await platform.api.send(conversationId, text);
  return platform.api.waitFor(conversationId, turnFinished);
}

function find<T extends EventType>(events: Event[], type: T, where: (event: EventOf<T>) => boolean = () => true): EventOf<T> {
  const found = events.find((event): event is EventOf<T> => event.type === type && where(event as EventOf<T>));
  if (!found) throw new Error(`no ${type} event in:\n${events.map((e) => `${e.type} ${e.agent ?? ""}`).join("\n")}`);
  return found;
}
const at = (events: Event[], event: Event) => events.indexOf(event);

describe("the team answers over Redis, end to end", () => {
  it("hands an arithmetic question to the calculator, which computes it with its tool", async () => {
    const events = await ask("What is 17.5% of 2,480?");
    const user = find(events, "message.user");
    const managerStarted = find(events, "run.started", (e) => e.agent === "manager");
    const handoff = find(events, "handoff");
    const call = find(events, "tool.call", (e) => e.agent === "calculator");
    const result = find(events, "tool.result", (e) => e.agent === "calculator");
    const answer = find(events, "message.agent", (e) => e.agent === "calculator");
    const completed = find(events, "run.completed", (e) => e.agent === "calculator");

    expect(handoff.data).toMatchObject({ from: "manager", to: "calculator", mode: "transfer" });
    expect(handoff.data.reason.length).toBeGreaterThan(3);
    expect(call.data.tool).toBe("calculate");
    expect(result.data.ok).toBe(true);
    expect(JSON.stringify(result.data.result)).toContain("434");
    expect(answer.data.text).toContain("434");
    expect(completed.data.usage.totalTokens).toBeGreaterThan(0);
    expect(completed.data.latencyMs).toBeGreaterThanOrEqual(0);
    expect(completed.data.costUsd).toBe(0);
    expect(completed.data.steps).toHaveLength(2);
    expect(find(events, "run.completed", (e) => e.agent === "manager").data.outcome).toBe("transferred");

    const order = [user, managerStarted, handoff, call, result, answer, completed].map((e) => at(events, e));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it("routes other phrasings by the agents' descriptions", async () => {
    const percent = await ask("How much is 15 percent of 80?");
    expect(find(percent, "handoff").data.to).toBe("calculator");
    expect(find(percent, "message.agent", (e) => e.agent === "calculator").data.text).toContain("12");

    const units = await ask("Convert 3 kg to pounds please");
    expect(find(units, "handoff").data.to).toBe("calculator");
    expect(find(units, "message.agent", (e) => e.agent === "calculator").data.text).toMatch(/6\.61/);
  });

  it("sends a question about the knowledge base to the researcher, who cites the document", async () => {
    const events = await ask("Where are run checkpoints kept, and how does a crashed run resume?");
    expect(find(events, "handoff").data.to).toBe("researcher");
    expect(find(events, "tool.call", (e) => e.agent === "researcher").data.tool).toBe("search_knowledge_base");
    const answer = find(events, "message.agent", (e) => e.agent === "researcher").data.text;
    expect(answer).toMatch(/docs\/[a-z-]+\.md/);
  });

  it("delegates two independent parts in parallel and answers with both results", async () => {
    const events = await ask("convert 5 miles to km, and summarize how handoffs work");
    const handoffs = events.filter((e): e is EventOf<"handoff"> => e.type === "handoff");
    expect(handoffs.map((h) => h.data.mode)).toEqual(["delegate", "delegate"]);
    expect(handoffs.map((h) => h.data.to).sort()).toEqual(["calculator", "researcher"]);
    const returns = events.filter((e): e is EventOf<"handoff.return"> => e.type === "handoff.return");
    expect(returns.map((r) => r.data.to)).toEqual(["manager", "manager"]);
    expect(returns.every((r) => r.data.status === "completed")).toBe(true);

    const finalAnswer = events.filter((e): e is EventOf<"message.agent"> => e.type === "message.agent" && e.agent === "manager").at(-1);
    expect(finalAnswer?.data.text).toContain("8.04672");
    expect(finalAnswer?.data.text).toMatch(/handoff/i);
    // The manager answers after both children have returned.
    expect(at(events, finalAnswer as Event)).toBeGreaterThan(Math.max(...returns.map((r) => at(events, r))));
  });

  it("answers many conversations at once, each its own turn", async () => {
    // Messages posted in the same millisecond to different conversations share a stream id.
    const ids = await Promise.all(Array.from({ length: 8 }, () => platform.api.createConversation()));
    await Promise.all(ids.map((id, index) => platform.api.send(id, `What is ${index + 1} + 1?`)));
    const turns = await Promise.all(ids.map((id) => platform.api.waitFor(id, turnFinished)));
    turns.forEach((events, index) => {
      expect(find(events, "message.agent", (e) => e.agent === "calculator").data.text).toContain(String(index + 2));
    });
  });
});
