import { expect, it } from "vitest";
import { deriveChatItems } from "../src/chat-items.js";
import { event } from "./fixtures.js";

const delegate = (to: string, child: string, runId = "r1") =>
  event("handoff", { from: "manager", to, mode: "delegate", reason: `needs ${to}`, task: `task for ${to}`, childRunId: child, depth: 1 }, { runId, agent: "manager" });

it("groups delegations one run sends together, and keeps run events out of the chat", () => {
  const items = deriveChatItems([
    event("message.user", { text: "hi" }),
    event("run.started", { task: "hi", model: "offline", depth: 0, mode: "turn" }, { runId: "r1", agent: "manager" }),
    delegate("calculator", "c1"),
    delegate("researcher", "c2"),
    event("handoff.return", { from: "calculator", to: "manager", childRunId: "c1", status: "completed", result: "4" }, { runId: "c1", agent: "calculator" }),
    delegate("writer", "c3"),
  ]);
  expect(items.map((item) => item.kind)).toEqual(["message", "handoffs", "return", "handoffs"]);
  const group = items[1];
  expect(group?.kind === "handoffs" && group.handoffs.map((handoff) => handoff.data.to)).toEqual(["calculator", "researcher"]);
});

it("does not group a transfer with a delegation", () => {
  const transfer = event("handoff", { from: "manager", to: "writer", mode: "transfer", reason: "prose", task: "t", childRunId: "c9", depth: 1 }, { runId: "r1", agent: "manager" });
  expect(deriveChatItems([delegate("calculator", "c1"), transfer]).map((item) => item.kind)).toEqual(["handoffs", "handoffs"]);
});

it("pairs tool calls with their results within a run, and shows a lone result on its own", () => {
  const items = deriveChatItems([
    event("tool.call", { toolCallId: "call_0", tool: "evaluate", args: { expression: "2+2" } }, { runId: "a", agent: "calculator" }),
    event("tool.call", { toolCallId: "call_0", tool: "search", args: { q: "pi" } }, { runId: "b", agent: "researcher" }),
    event("tool.result", { toolCallId: "call_0", tool: "search", ok: false, error: "offline", latencyMs: 2 }, { runId: "b", agent: "researcher" }),
    event("tool.result", { toolCallId: "call_0", tool: "evaluate", ok: true, result: 4, latencyMs: 1 }, { runId: "a", agent: "calculator" }),
    event("tool.result", { toolCallId: "call_9", tool: "transfer", ok: false, error: "refused", latencyMs: 0 }, { runId: "a", agent: "calculator" }),
  ]);
  expect(items).toHaveLength(3);
  const [first, second, lone] = items;
  expect(first?.kind === "tool" && first.result?.data.ok).toBe(true);
  expect(second?.kind === "tool" && second.result?.data.error).toBe("offline");
  expect(lone?.kind === "tool" && lone.call === undefined && lone.result?.data.tool).toBe("transfer");
});
