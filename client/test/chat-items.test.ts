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
  // The return is the calculator's work (under its handoff); the writer's delegation is a later round.
  expect(items.map((item) => item.kind)).toEqual(["message", "handoffs", "handoffs"]);
  const group = items[1];
  expect(group?.kind === "handoffs" && group.handoffs.map((handoff) => handoff.data.to)).toEqual(["calculator", "researcher"]);
  expect(group?.kind === "handoffs" && group.work.get("c1")?.map((item) => item.kind)).toEqual(["return"]);
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

it("draws a workflow run as one block where it started, and pairs an approval with its decision", () => {
  const budget = { modelCalls: { min: 1, max: 2 }, approvals: 1, agentRuns: 0, unboundedSteps: [] };
  const items = deriveChatItems([
    event("workflow.started", { workflow: "w", version: "v", input: {}, budget }, { runId: "wf" }),
    event("workflow.step", { workflow: "w", path: "a", kind: "llm", status: "started" }, { runId: "wf" }),
    event("approval.requested", { approvalId: "ap", kind: "workflow", title: "OK?", data: {}, path: "ok", onTimeout: "reject" }, { runId: "wf" }),
    event("approval.resolved", { approvalId: "ap", decision: "approve", by: "alice" }, { runId: "wf" }),
    event("approval.resolved", { approvalId: "ap", decision: "reject", by: "bob" }, { runId: "wf" }),
    event("workflow.completed", { workflow: "w", output: 1, modelCalls: 1, budget, usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 }, costUsd: 0, latencyMs: 1 }, { runId: "wf" }),
    // A decision whose request was trimmed from the log, and a step of a run whose start was.
    event("approval.resolved", { approvalId: "old", decision: "reject", by: "timeout" }),
    event("workflow.step", { workflow: "w", path: "b", kind: "llm", status: "completed" }, { runId: "older" }),
  ]);
  expect(items.map((item) => item.kind)).toEqual(["workflow", "approval", "workflow-end", "notice", "workflow"]);
  const approval = items[1];
  expect(approval?.kind === "approval" && approval.resolved?.data.by).toBe("alice");
  expect(items[4]?.kind === "workflow" && items[4].runId).toBe("older");
  // With nothing after its block, a run's end shows in the block alone.
  const alone = deriveChatItems([
    event("workflow.started", { workflow: "w", version: "v", input: {}, budget }, { runId: "wf" }),
    event("workflow.failed", { workflow: "w", code: "cancelled", reason: "r", modelCalls: 0, budget, usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, costUsd: 0, latencyMs: 1 }, { runId: "wf" }),
  ]);
  expect(alone.map((item) => item.kind)).toEqual(["workflow"]);
});

it("shows a retried step where it happened and keeps a slow-model note out of the chat", () => {
  const items = deriveChatItems([
    event("message.user", { text: "Hello" }),
    event("run.slow", { step: 0, waitedMs: 10_000, message: "slow" }, { runId: "r1", agent: "manager" }),
    event("run.retrying", { step: 0, attempt: 2, maxAttempts: 3, reason: "cut", replacedText: "Hel" }, { runId: "r1", agent: "manager" }),
    event("message.agent", { text: "Hello there" }, { runId: "r1", agent: "manager" }),
  ]);
  expect(items.map((item) => item.kind)).toEqual(["message", "retry", "message"]);
});

it("puts a delegated specialist's work under its handoff, and leaves the manager's answer as the answer", () => {
  const items = deriveChatItems([
    event("message.user", { text: "convert and summarize" }),
    delegate("calculator", "c1"),
    delegate("researcher", "c2"),
    event("tool.call", { toolCallId: "call_0", tool: "evaluate", args: { expression: "5 mi to km" } }, { runId: "c1", agent: "calculator" }),
    event("message.agent", { text: "Handoffs move work." }, { runId: "c2", agent: "researcher" }),
    event("tool.result", { toolCallId: "call_0", tool: "evaluate", ok: true, result: 8.05, latencyMs: 1 }, { runId: "c1", agent: "calculator" }),
    event("message.agent", { text: "5 mi = 8.05 km" }, { runId: "c1", agent: "calculator" }),
    event("handoff.return", { from: "researcher", to: "manager", childRunId: "c2", status: "completed", result: "Handoffs move work." }, { runId: "c2", agent: "researcher" }),
    // The calculator hands part of its task on: that work is the calculator's, under its handoff too.
    event("handoff", { from: "calculator", to: "writer", mode: "transfer", reason: "prose", task: "t", childRunId: "c3", depth: 2 }, { runId: "c1", agent: "calculator" }),
    event("message.agent", { text: "Written." }, { runId: "c3", agent: "writer" }),
    event("handoff.return", { from: "writer", to: "manager", childRunId: "c1", status: "completed", result: "Written." }, { runId: "c3", agent: "writer" }),
    event("message.agent", { text: "8.05 km; handoffs move work." }, { runId: "r1", agent: "manager" }),
  ]);
  expect(items.map((item) => item.kind)).toEqual(["message", "handoffs", "message"]);
  const [, group, answer] = items;
  expect(answer?.kind === "message" && answer.event.agent).toBe("manager");
  if (group?.kind !== "handoffs") throw new Error("no handoff group");
  expect(group.handoffs.map((handoff) => handoff.data.to)).toEqual(["calculator", "researcher"]);
  expect(group.work.get("c1")?.map((item) => item.kind)).toEqual(["tool", "message", "handoffs", "message", "return"]);
  expect(group.work.get("c2")?.map((item) => item.kind)).toEqual(["message", "return"]);
  const tool = group.work.get("c1")?.[0];
  expect(tool?.kind === "tool" && tool.result?.data.ok).toBe(true);
});

it("keeps a transferred specialist's answer in the conversation: it answers the user", () => {
  const items = deriveChatItems([
    event("handoff", { from: "manager", to: "calculator", mode: "transfer", reason: "math", task: "t", childRunId: "c1", depth: 1 }, { runId: "r1", agent: "manager" }),
    event("message.agent", { text: "4" }, { runId: "c1", agent: "calculator" }),
  ]);
  expect(items.map((item) => item.kind)).toEqual(["handoffs", "message"]);
  expect(items[0]?.kind === "handoffs" && items[0].work.size).toBe(0);
});
