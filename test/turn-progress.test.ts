/**
 * How the MCP and A2A endpoints read a turn's outcome from its events: over when every run it
 * started has ended, decided by the run that ended last, with the agents that worked on it.
 */
import { describe, expect, it } from "vitest";
import { Event } from "../shared/events.js";
import { TurnProgress, type TurnOutcome } from "../server/turn-progress.js";

const CONVERSATION = "c1";
const ROOT = `${CONVERSATION}-1700000000000-0`;
const ends = { usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, latencyMs: 1, costUsd: 0, steps: [] };
let sequence = 0;

/** An event as the log holds it (checked against the schema, so the test cannot drift from it). */
function event(fields: Record<string, unknown>): Event {
  sequence += 1;
  return Event.parse({ id: `1700000000000-${sequence}`, conversationId: CONVERSATION, at: new Date(0).toISOString(), ...fields });
}

const started = (runId: string, agent: string) =>
  event({ type: "run.started", runId, agent, data: { task: "t", model: "offline", depth: 0, mode: "turn" } });
const handoff = (runId: string, from: string, to: string, childRunId: string, mode: "transfer" | "delegate") =>
  event({ type: "handoff", runId, agent: from, data: { from, to, mode, reason: "r", task: "t", childRunId, depth: 1 } });
const answer = (runId: string, agent: string, text: string) => event({ type: "message.agent", runId, agent, data: { text } });
const completed = (runId: string, outcome: "answered" | "transferred" = "answered") =>
  event({ type: "run.completed", runId, data: { outcome, ...ends } });
const failed = (runId: string, reason: string) => event({ type: "run.failed", runId, data: { code: "model_error", reason, ...ends } });
const cancelled = (runId: string, by: string) => event({ type: "run.cancelled", runId, data: { by, reason: `Stopped by ${by}.`, ...ends } });

/** Feeds the events in order; the outcome, and after which event it came (it must be the last). */
function outcomeOf(events: Event[]): { outcome: TurnOutcome | undefined; at: number } {
  const progress = new TurnProgress(ROOT);
  for (const [index, next] of events.entries()) {
    const outcome = progress.observe(next);
    if (outcome) return { outcome, at: index };
  }
  return { outcome: undefined, at: -1 };
}

describe("a turn's progress", () => {
  it("waits for a transfer's target after the manager's run ends, then gives its answer and both agents", () => {
    const child = `${ROOT}-t1`;
    const events = [
      started(ROOT, "manager"),
      handoff(ROOT, "manager", "calculator", child, "transfer"),
      completed(ROOT, "transferred"),
      started(child, "calculator"),
      answer(child, "calculator", "434"),
      completed(child),
    ];
    const { outcome, at } = outcomeOf(events);
    expect(at).toBe(events.length - 1);
    expect(outcome).toMatchObject({ state: "completed", agents: ["manager", "calculator"] });
    expect(outcome?.state === "completed" && outcome.answer?.data.text).toBe("434");
  });

  it("is answered when a delegated child failed and the manager answered after it", () => {
    const child = `${ROOT}-w1`;
    const { outcome } = outcomeOf([
      started(ROOT, "manager"),
      handoff(ROOT, "manager", "researcher", child, "delegate"),
      started(child, "researcher"),
      failed(child, "the model did not answer"),
      answer(ROOT, "manager", "I could not look that up."),
      completed(ROOT),
    ]);
    expect(outcome).toMatchObject({ state: "completed", agents: ["manager", "researcher"] });
  });

  it("fails with the code and reason of a transfer's target that failed last", () => {
    const child = `${ROOT}-t1`;
    const { outcome } = outcomeOf([
      started(ROOT, "manager"),
      handoff(ROOT, "manager", "calculator", child, "transfer"),
      completed(ROOT, "transferred"),
      started(child, "calculator"),
      failed(child, "the model is down"),
    ]);
    expect(outcome).toEqual({ state: "failed", code: "model_error", reason: "the model is down", agents: ["manager", "calculator"] });
  });

  it("is cancelled, by whom, when the turn was stopped", () => {
    const { outcome } = outcomeOf([started(ROOT, "manager"), cancelled(ROOT, "alice")]);
    expect(outcome).toMatchObject({ state: "canceled", by: "alice" });
  });

  it("ignores another turn's runs in the same conversation", () => {
    const other = `${CONVERSATION}-1700000000001-0`;
    const progress = new TurnProgress(ROOT);
    expect(progress.owns(started(other, "manager"))).toBe(false);
    expect(progress.observe(completed(other))).toBeUndefined();
    expect(progress.owns(started(`${ROOT}-w1`, "researcher"))).toBe(true);
  });
});
