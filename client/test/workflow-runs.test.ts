import { describe, expect, it } from "vitest";
import type { Event, StepKind } from "../../shared/events.js";
import { deriveWorkflowRuns, describeRound, nodeForPath, nodeStates, workflowRunModels, workflowRunsReducer, NO_WORKFLOW_RUNS } from "../src/workflow-runs.js";
import { formatCost } from "../src/format.js";
import { event, usage } from "./fixtures.js";
import { PIPELINE, PIPELINE_BUDGET, TRIAGE } from "./workflow-fixtures.js";

const RUN = "wf_1";
const totals = (modelCalls: number) => ({ workflow: "content-pipeline", modelCalls, budget: PIPELINE_BUDGET, usage, costUsd: 0, latencyMs: 40 });
const started = (runId = RUN, workflow = "content-pipeline") =>
  event("workflow.started", { workflow, version: "v1", input: { topic: "tea" }, budget: PIPELINE_BUDGET }, { runId });
const step = (path: string, kind: StepKind, status: "started" | "completed" | "failed" | "skipped", extra: Record<string, unknown> = {}, runId = RUN) =>
  event("workflow.step", { workflow: "content-pipeline", path, kind, status, ...extra }, { runId });
const done = (path: string, kind: StepKind, extra: Record<string, unknown> = {}) =>
  step(path, kind, "completed", { modelCalls: kind === "llm" ? 1 : 0, usage, latencyMs: 12, costUsd: 0, output: { text: `${path} out` }, ...extra });
const requested = (approvalId: string, path = "editor") =>
  event("approval.requested", { approvalId, kind: "workflow", title: "Publish this post?", data: { post: "…" }, workflow: "content-pipeline", path, onTimeout: "reject" }, { runId: RUN });
const resolved = (approvalId: string, decision: "approve" | "reject" = "approve") =>
  event("approval.resolved", { approvalId, decision, by: "alice" }, { runId: RUN });

/** The pipeline up to its approval: one draft, two review rounds, both translations. */
function toApproval(): Event[] {
  return [
    started(),
    step("draft", "llm", "started"),
    done("draft", "llm"),
    step("review-loop/revise", "llm", "started", { round: 1 }),
    done("review-loop/revise", "llm", { round: 1 }),
    step("review-loop/review", "llm", "started", { round: 1 }),
    done("review-loop/review", "llm", { round: 1, output: { score: 6 } }),
    step("review-loop/revise", "llm", "started", { round: 2 }),
    done("review-loop/revise", "llm", { round: 2 }),
    step("review-loop/review", "llm", "started", { round: 2 }),
    done("review-loop/review", "llm", { round: 2, output: { score: 9 } }),
    step("translate/fr/translate-fr", "llm", "started"),
    step("translate/de/translate-de", "llm", "started"),
    done("translate/fr/translate-fr", "llm"),
    done("translate/de/translate-de", "llm"),
    step("editor", "approval", "started"),
    requested("ap_1"),
  ];
}

describe("deriveWorkflowRuns", () => {
  it("follows a run from its start, counting model calls against its bound", () => {
    const runs = deriveWorkflowRuns([started(), step("draft", "llm", "started")]);
    const run = runs.byId.get(RUN);
    expect(run).toMatchObject({ workflow: "content-pipeline", version: "v1", status: "running", modelCalls: 0, input: { topic: "tea" } });
    expect(run?.budget).toEqual(PIPELINE_BUDGET);
    expect(runs.order).toEqual([RUN]);

    const after = deriveWorkflowRuns(toApproval()).byId.get(RUN);
    expect(after?.modelCalls).toBe(7);
    expect(after?.records.map((record) => `${record.path}${record.round ? `#${record.round}` : ""}`)).toEqual([
      "draft",
      "review-loop/revise#1",
      "review-loop/review#1",
      "review-loop/revise#2",
      "review-loop/review#2",
      "translate/fr/translate-fr",
      "translate/de/translate-de",
    ]);
    expect(after?.records[2]?.output).toEqual({ score: 6 });
  });

  it("waits while an approval is pending, goes on once decided, and ends with the run's own totals", () => {
    const events = toApproval();
    expect(deriveWorkflowRuns(events).byId.get(RUN)?.status).toBe("waiting");
    events.push(resolved("ap_1"));
    const decided = deriveWorkflowRuns(events).byId.get(RUN);
    expect(decided?.status).toBe("running");
    expect(decided?.approvals.get("ap_1")).toMatchObject({ status: "approved", by: "alice", path: "editor" });

    events.push(done("editor", "approval"), done("publish", "tool"));
    events.push(event("workflow.completed", { ...totals(7), output: { url: "https://example.test/tea" } }, { runId: RUN }));
    const finished = deriveWorkflowRuns(events).byId.get(RUN);
    expect(finished).toMatchObject({ status: "completed", modelCalls: 7, hasOutput: true, output: { url: "https://example.test/tea" }, latencyMs: 40 });
  });

  it("tells a cancelled run from a failed one, and keeps the reason", () => {
    const cancelled = deriveWorkflowRuns([started(), event("workflow.failed", { ...totals(1), code: "cancelled", reason: "Cancelled by local" }, { runId: RUN })]);
    expect(cancelled.byId.get(RUN)).toMatchObject({ status: "cancelled", failure: { code: "cancelled", reason: "Cancelled by local" } });
    const failed = deriveWorkflowRuns([started(), event("workflow.failed", { ...totals(1), code: "step_failed", reason: "boom", path: "draft" }, { runId: RUN })]);
    expect(failed.byId.get(RUN)).toMatchObject({ status: "failed", failure: { code: "step_failed", path: "draft" } });
  });

  it("does not count a pattern's model calls on top of its steps'", () => {
    const run = deriveWorkflowRuns([
      started(),
      done("translate/fr/translate-fr", "llm"),
      done("translate/de/translate-de", "llm"),
      step("translate", "parallel", "completed", { modelCalls: 2 }),
    ]).byId.get(RUN);
    expect(run?.modelCalls).toBe(2);
  });

  it("keeps a run whose start was trimmed, and several runs apart", () => {
    const runs = deriveWorkflowRuns([step("draft", "llm", "started", {}, "old"), started("new", "order-triage"), step("classify", "llm", "started", {}, "new")]);
    expect(runs.order).toEqual(["old", "new"]);
    expect(runs.byId.get("old")).toMatchObject({ workflow: "content-pipeline", version: undefined, status: "running" });
    expect(runs.byId.get("new")?.workflow).toBe("order-triage");
  });

  it("ignores other events and indexes an agent's tool approval without a run", () => {
    const message = event("message.user", { text: "hi" });
    expect(workflowRunsReducer(NO_WORKFLOW_RUNS, message)).toBe(NO_WORKFLOW_RUNS);
    const tool = event("approval.requested", { approvalId: "ap_t", kind: "tool", title: "Send mail?", data: {}, tool: "send_mail", onTimeout: "reject" }, { runId: "agent_run" });
    const state = workflowRunsReducer(NO_WORKFLOW_RUNS, tool);
    expect(state.byId.size).toBe(0);
    expect(state.approvalRuns.get("ap_t")).toBe("agent_run");
  });
});

describe("workflowRunModels", () => {
  const cost = (events: Event[]) => {
    const run = deriveWorkflowRuns(events).byId.get(RUN);
    if (run === undefined) throw new Error("no run");
    return formatCost(run.costUsd ?? 0, workflowRunModels(run));
  };

  it("reads free when every model call ran on the offline model, patterns and approvals aside", () => {
    const events = [
      started(),
      done("draft", "llm", { model: "offline" }),
      done("review-loop/review", "llm", { model: "offline", round: 1 }),
      done("review-loop", "loop", { modelCalls: 0 }),
      done("editor", "approval"),
      event("workflow.completed", { ...totals(2), output: { ok: true } }, { runId: RUN }),
    ];
    expect(deriveWorkflowRuns(events).byId.get(RUN)?.records[0]?.model).toBe("offline");
    expect(cost(events)).toBe("free (offline model)");
  });

  it("keeps a price where a model call ran elsewhere or did not say where", () => {
    expect(cost([started(), done("draft", "llm", { model: "offline" }), done("translate", "llm", { model: "gpt-4o-mini" })])).toBe("$0.0000");
    // An agent step's model calls are the agent's: the step does not name a model.
    expect(cost([started(), done("draft", "llm", { model: "offline" }), done("ask", "agent", { modelCalls: 2 })])).toBe("$0.0000");
  });
});

describe("nodeStates", () => {
  it("lights the running branches at once and counts the loop's rounds", () => {
    const events = [...toApproval().slice(0, 11), step("translate/fr/translate-fr", "llm", "started"), step("translate/de/translate-de", "llm", "started")];
    const run = deriveWorkflowRuns(events).byId.get(RUN);
    if (run === undefined) throw new Error("no run");
    const states = nodeStates(run, PIPELINE);
    expect(states.get("start")?.state).toBe("completed");
    expect(states.get("draft")?.state).toBe("completed");
    expect(states.get("translate/fr/translate-fr")?.state).toBe("running");
    expect(states.get("translate/de/translate-de")?.state).toBe("running");
    expect(states.get("translate")?.state).toBe("running");
    expect(states.get("editor")?.state).toBe("pending");
    expect(states.get("end")?.state).toBe("pending");
    const loop = states.get("review-loop");
    expect(loop).toMatchObject({ state: "completed", round: 2, maxRounds: 3 });
    expect(loop && describeRound(loop)).toBe("round 2 of ≤3");
    expect(states.get("review-loop/review")?.runs).toBe(2);
  });

  it("shows a loop mid-round as running, on its current round", () => {
    const run = deriveWorkflowRuns(toApproval().slice(0, 8)).byId.get(RUN);
    if (run === undefined) throw new Error("no run");
    const states = nodeStates(run, PIPELINE);
    expect(states.get("review-loop")).toMatchObject({ state: "running", round: 2 });
    expect(states.get("review-loop/revise")?.state).toBe("running");
    expect(states.get("review-loop/review")?.state).toBe("completed");
  });

  it("shows the approval step waiting, then the branches a completed route did not take as skipped", () => {
    const waiting = deriveWorkflowRuns(toApproval()).byId.get(RUN);
    if (waiting === undefined) throw new Error("no run");
    expect(nodeStates(waiting, PIPELINE).get("editor")?.state).toBe("waiting");

    const triage = deriveWorkflowRuns([
      started(RUN, "order-triage"),
      done("classify", "llm", { output: { kind: "late" } }),
      done("route/late/eta", "code"),
      event("workflow.completed", { ...totals(1), workflow: "order-triage", output: { eta: "tomorrow" } }, { runId: RUN }),
    ]).byId.get(RUN);
    if (triage === undefined) throw new Error("no run");
    const states = nodeStates(triage, TRIAGE);
    expect(states.get("route/late/eta")?.state).toBe("completed");
    expect(states.get("route")?.state).toBe("completed");
    expect(states.get("route/damaged/lookup_order")?.state).toBe("skipped");
    expect(states.get("route/damaged/refund-ok")?.state).toBe("skipped");
    expect(states.get("route/wrong_item/writer")?.state).toBe("skipped");
    expect(states.get("end")?.state).toBe("completed");
  });

  it("marks the failed step and leaves what was not reached pending", () => {
    const run = deriveWorkflowRuns([
      started(),
      done("draft", "llm"),
      step("review-loop/revise", "llm", "started", { round: 1 }),
      step("review-loop/revise", "llm", "failed", { round: 1, error: "model unavailable" }),
      event("workflow.failed", { ...totals(1), code: "step_failed", reason: "model unavailable", path: "review-loop/revise" }, { runId: RUN }),
    ]).byId.get(RUN);
    if (run === undefined) throw new Error("no run");
    const states = nodeStates(run, PIPELINE);
    expect(states.get("review-loop/revise")?.state).toBe("failed");
    expect(states.get("review-loop")?.state).toBe("failed");
    expect(states.get("publish")?.state).toBe("pending");
    expect(states.get("end")?.state).toBe("failed");
    expect(run.records[1]?.error).toBe("model unavailable");
  });

  it("draws a step path the graph does not list on the nearest node that holds it", () => {
    expect(nodeForPath("plan/workers/2", new Set(["plan", "plan/workers"]))).toBe("plan/workers");
    expect(nodeForPath("other", new Set(["plan"]))).toBeUndefined();
  });
});
