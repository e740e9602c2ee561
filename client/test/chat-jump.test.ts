import { describe, expect, it } from "vitest";
import { chatEventSelector, chatEventsAttribute, chatItemEventIds, chatRunSelector } from "../src/chat-jump.js";
import { deriveChatItems, type ChatItem } from "../src/chat-items.js";
import { deriveRuns } from "../src/runs.js";
import { event } from "./fixtures.js";

describe("chat items as jump targets", () => {
  it("finds a run's place in the chat whatever item draws it", () => {
    const events = [
      event("message.user", { text: "2+2 and pi?" }, { id: "1-0" }),
      event("run.started", { task: "t", model: "m", depth: 0, mode: "turn" }, { id: "2-0", runId: "r1", agent: "manager" }),
      event("handoff", { from: "manager", to: "calculator", mode: "delegate", reason: "math", task: "2+2", childRunId: "r2", depth: 1 }, { id: "3-0", runId: "r1", agent: "manager" }),
      event("handoff", { from: "manager", to: "researcher", mode: "delegate", reason: "fact", task: "pi", childRunId: "r3", depth: 1 }, { id: "4-0", runId: "r1", agent: "manager" }),
      event("tool.call", { toolCallId: "c1", tool: "evaluate", args: {} }, { id: "5-0", runId: "r2", agent: "calculator" }),
      event("tool.result", { toolCallId: "c1", tool: "evaluate", ok: true, result: 4, latencyMs: 1 }, { id: "6-0", runId: "r2", agent: "calculator" }),
    ];
    const items = deriveChatItems(events);
    // A delegated run's items may be drawn inside its handoff (as that delegation's work).
    const nested = (item: ChatItem): ChatItem[] => [...((item as { work?: ReadonlyMap<string, readonly ChatItem[]> }).work?.values() ?? [])].flat();
    const all = (list: readonly ChatItem[]): ChatItem[] => list.flatMap((item) => [item, ...all(nested(item))]);
    const attributes = all(items).map(chatEventsAttribute);
    const runs = deriveRuns(events);
    // Every run's place is drawn by exactly one item.
    for (const runId of ["r1", "r2"]) {
      const id = runs.byId.get(runId)?.chatEventId ?? "";
      expect(attributes.filter((value) => value.split(" ").includes(id))).toHaveLength(1);
    }
    const group = items.find((item) => item.kind === "handoffs");
    expect(group && chatItemEventIds(group)).toEqual(["3-0", "4-0"]);
    const tool = all(items).find((item) => item.kind === "tool");
    expect(tool && chatItemEventIds(tool)).toEqual(["5-0", "6-0"]);
  });

  it("builds a selector that cannot be broken out of", () => {
    expect(chatEventSelector("1700000000000-0")).toBe('[data-chat-events~="1700000000000-0"]');
    expect(chatEventSelector('1"] body [x="')).toBe('[data-chat-events~="1bodyx"]');
    expect(chatRunSelector('c00_x-1-0-d1-0"]')).toBe('[data-run-id="c00_x-1-0-d1-0"]');
  });
});
