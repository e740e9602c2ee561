import { describe, expect, it } from "vitest";
import { busyLeafRuns, deriveRuns, describeFailure } from "../src/runs.js";
import { event, step, usage } from "./fixtures.js";

const started = (runId: string, agent: string, mode: "turn" | "transfer" | "delegate", parentRunId?: string) =>
  event("run.started", { task: `task of ${agent}`, model: "offline", depth: parentRunId ? 1 : 0, mode, ...(parentRunId ? { parentRunId } : {}) }, { runId, agent });
const completed = (runId: string, agent: string, costUsd = 0.001) =>
  event("run.completed", { outcome: "answered", usage, latencyMs: 100, costUsd, steps: [step(0, ["evaluate"]), step(1)] }, { runId, agent });

describe("deriveRuns", () => {
  it("builds one entry per run with its totals, children under their parent", () => {
    const derived = deriveRuns([
      started("r1", "manager", "turn"),
      event("handoff", { from: "manager", to: "calculator", mode: "delegate", reason: "math", task: "2+2", childRunId: "r2", depth: 1 }, { runId: "r1", agent: "manager" }),
      event("handoff", { from: "manager", to: "researcher", mode: "delegate", reason: "fact", task: "pi", childRunId: "r3", depth: 1 }, { runId: "r1", agent: "manager" }),
      started("r2", "calculator", "delegate", "r1"),
      // r3 has no parentRunId: the handoff links it.
      event("run.started", { task: "pi", model: "offline", depth: 1, mode: "delegate" }, { runId: "r3", agent: "researcher" }),
      completed("r2", "calculator"),
      event("run.failed", { code: "token_budget", reason: "Used 50000 tokens", usage, latencyMs: 5, costUsd: 0.002, steps: [] }, { runId: "r3", agent: "researcher" }),
    ]);
    expect(derived.roots.map((run) => run.runId)).toEqual(["r1"]);
    const [root] = derived.roots;
    expect(root?.status).toBe("running");
    expect(root?.children.map((run) => [run.agent, run.status])).toEqual([
      ["calculator", "completed"],
      ["researcher", "failed"],
    ]);
    expect(derived.byId.get("r2")?.steps).toHaveLength(2);
    expect(derived.byId.get("r3")?.failure).toEqual({ code: "token_budget", reason: "Used 50000 tokens" });
    expect(derived.totals).toMatchObject({ runs: 3, running: 1, failed: 1, tokens: 30 });
    expect(derived.totals.costUsd).toBeCloseTo(0.003);
    expect([...derived.workingAgents]).toEqual(["manager"]);
    expect(busyLeafRuns(derived).map((run) => run.runId)).toEqual(["r1"]);
  });

  it("keeps a run whose start was trimmed from the log", () => {
    const derived = deriveRuns([completed("old", "writer")]);
    expect(derived.roots[0]).toMatchObject({ runId: "old", agent: "writer", status: "completed", mode: undefined });
  });

  it("does not lose runs to a parent cycle in a malformed log", () => {
    const derived = deriveRuns([started("a", "manager", "turn", "b"), started("b", "writer", "transfer", "a")]);
    const all = [...derived.roots, ...derived.roots.flatMap((run) => run.children)];
    expect(all.map((run) => run.runId).sort()).toEqual(["a", "b"]);
  });

  it("only counts a waiting parent as busy while none of its children works", () => {
    const derived = deriveRuns([started("r1", "manager", "turn"), started("r2", "calculator", "delegate", "r1")]);
    expect(busyLeafRuns(derived).map((run) => run.agent)).toEqual(["calculator"]);
  });
});

it("says a run waits on a slow model until the run logs anything else", () => {
  const started = event("run.started", { task: "t", model: "m", depth: 0, mode: "turn" }, { runId: "r1", agent: "manager" });
  const slow = event("run.slow", { step: 0, waitedMs: 10_000, message: "The model has not started answering after 10 s." }, { runId: "r1", agent: "manager" });
  expect(deriveRuns([started, slow]).byId.get("r1")?.slow).toBe("The model has not started answering after 10 s.");
  const answered = event("message.agent", { text: "Hi" }, { runId: "r1", agent: "manager" });
  expect(deriveRuns([started, slow, answered]).byId.get("r1")?.slow).toBeUndefined();
});

it("describes every failure code in words", () => {
  for (const code of ["step_limit", "token_budget", "model_error", "agent_unavailable", "remote_agent", "internal"] as const) {
    expect(describeFailure(code).length).toBeGreaterThan(10);
  }
});

describe("where a run is in the chat", () => {
  it("is the run's first event the chat shows, else the last message before it", () => {
    const question = event("message.user", { text: "2+2 and pi?" });
    const derived = deriveRuns([
      question,
      started("r1", "manager", "turn"),
      event("handoff", { from: "manager", to: "calculator", mode: "delegate", reason: "math", task: "2+2", childRunId: "r2", depth: 1 }, { id: "h1", runId: "r1", agent: "manager" }),
      started("r2", "calculator", "delegate", "r1"),
      event("tool.call", { toolCallId: "c1", tool: "evaluate", args: {} }, { id: "t1", runId: "r2", agent: "calculator" }),
      event("message.agent", { text: "4" }, { id: "m2", runId: "r2", agent: "calculator" }),
      started("r3", "researcher", "delegate", "r1"),
    ]);
    expect(derived.byId.get("r1")?.chatEventId).toBe("h1");
    expect(derived.byId.get("r2")?.chatEventId).toBe("t1");
    // r3 has shown nothing yet: it sits after the newest message.
    expect(derived.byId.get("r3")?.chatEventId).toBe("m2");
    expect(deriveRuns([started("r0", "manager", "turn")]).byId.get("r0")?.chatEventId).toBeUndefined();
    expect(deriveRuns([question, started("r0", "manager", "turn")]).byId.get("r0")?.chatEventId).toBe(question.id);
  });
});
