import { describe, expect, it } from "vitest";
import type { Event } from "../../shared/events.js";
import { deriveRuns } from "../src/runs.js";
import { axisTicks, formatDuration, layoutTrace, MIN_SPAN_PERCENT, overlaps } from "../src/trace-layout.js";
import { event, step, usage } from "./fixtures.js";

const T0 = Date.parse("2025-01-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const timed = (e: Event, seconds: number): Event => ({ ...e, at: at(seconds) });

const started = (runId: string, agent: string, seconds: number, parentRunId?: string) =>
  timed(
    event("run.started", { task: "t", model: "m", depth: parentRunId ? 1 : 0, mode: parentRunId ? "delegate" : "turn", ...(parentRunId ? { parentRunId } : {}) }, { runId, agent }),
    seconds,
  );
const completed = (runId: string, agent: string, seconds: number) =>
  timed(event("run.completed", { outcome: "answered", usage, latencyMs: 1, costUsd: 0, steps: [step(0)] }, { runId, agent }), seconds);

/** A manager that delegated to two specialists at once (0–10 s, 2–6 s and 3–8 s), then answered. */
const delegation = [
  started("m", "manager", 0),
  started("a", "calculator", 2, "m"),
  started("b", "researcher", 3, "m"),
  completed("a", "calculator", 6),
  completed("b", "researcher", 8),
  completed("m", "manager", 10),
];

describe("layoutTrace", () => {
  it("nests children under the run that handed them work, on one axis", () => {
    const layout = layoutTrace(deriveRuns(delegation), T0 + 60_000);
    expect(layout.rows.map((row) => [row.run.runId, row.depth])).toEqual([
      ["m", 0],
      ["a", 1],
      ["b", 1],
    ]);
    expect(layout.startMs).toBe(T0);
    expect(layout.endMs).toBe(T0 + 10_000);
    const [manager, a, b] = layout.rows;
    expect(manager).toMatchObject({ leftPercent: 0, widthPercent: 100, live: false });
    expect(a).toMatchObject({ leftPercent: 20, widthPercent: 40 });
    expect(b?.leftPercent).toBeCloseTo(30);
    expect(b?.widthPercent).toBeCloseTo(50);
    expect(layout.liveRunId).toBeUndefined();
  });

  it("draws parallel delegations as overlapping spans, one after another as not", () => {
    const [, a, b] = layoutTrace(deriveRuns(delegation), T0).rows;
    expect(a && b && overlaps(a, b)).toBe(true);
    const sequential = layoutTrace(
      deriveRuns([started("m", "manager", 0), started("a", "calculator", 1, "m"), completed("a", "calculator", 2), started("b", "researcher", 3, "m"), completed("b", "researcher", 4)]),
      T0 + 5_000,
    ).rows;
    const [, first, second] = sequential;
    expect(first && second && overlaps(first, second)).toBe(false);
    expect((first?.leftPercent ?? 0) + (first?.widthPercent ?? 0)).toBeLessThanOrEqual(second?.leftPercent ?? 0);
  });

  it("grows live runs to now and names the newest one to keep in view", () => {
    const events = [started("m", "manager", 0), started("a", "calculator", 2, "m"), completed("a", "calculator", 4), started("b", "researcher", 5, "m")];
    const layout = layoutTrace(deriveRuns(events), T0 + 20_000);
    expect(layout.endMs).toBe(T0 + 20_000);
    const [manager, a, b] = layout.rows;
    expect(manager).toMatchObject({ live: true, endMs: T0 + 20_000, widthPercent: 100 });
    expect(a).toMatchObject({ live: false, leftPercent: 10, widthPercent: 10 });
    expect(b).toMatchObject({ live: true, leftPercent: 25, widthPercent: 75 });
    expect(layout.liveRunId).toBe("b");
    // Later, the live spans are longer and the finished one shorter in proportion.
    const later = layoutTrace(deriveRuns(events), T0 + 40_000);
    expect(later.rows[1]?.widthPercent).toBe(5);
  });

  it("keeps an instant run visible and inside the axis, and draws a run with no times over the whole axis", () => {
    const events = [started("m", "manager", 0), completed("m", "manager", 10), started("z", "writer", 10), completed("z", "writer", 10)];
    const [, instant] = layoutTrace(deriveRuns(events), T0 + 10_000).rows;
    expect(instant?.widthPercent).toBe(MIN_SPAN_PERCENT);
    expect((instant?.leftPercent ?? 0) + (instant?.widthPercent ?? 0)).toBeLessThanOrEqual(100);
    // A run whose start was trimmed and whose end has no latency: nothing to place it by.
    const untimed = layoutTrace(deriveRuns([{ ...event("run.failed", { code: "internal", reason: "x", usage, latencyMs: 0, costUsd: 0, steps: [] }, { runId: "r", agent: "writer" }), at: "not a date" }]), T0);
    expect(untimed.rows[0]).toMatchObject({ leftPercent: 0, widthPercent: 100 });
  });

  it("places a run whose start was trimmed by its latency before its end", () => {
    const events = [started("m", "manager", 0), completed("m", "manager", 10), timed(event("run.completed", { outcome: "answered", usage, latencyMs: 4000, costUsd: 0, steps: [] }, { runId: "old", agent: "writer" }), 8)];
    const old = layoutTrace(deriveRuns(events), T0).rows.find((row) => row.run.runId === "old");
    expect(old).toMatchObject({ startMs: T0 + 4_000, endMs: T0 + 8_000, leftPercent: 40, widthPercent: 40 });
  });
});

describe("trace labels", () => {
  it("formats durations and labels the axis from its start", () => {
    expect([formatDuration(850), formatDuration(12_340), formatDuration(125_000)]).toEqual(["850 ms", "12.3 s", "2 min 5 s"]);
    const layout = layoutTrace(deriveRuns(delegation), T0);
    expect(axisTicks(layout)).toEqual([
      { percent: 0, label: "0 ms" },
      { percent: 50, label: "5.0 s" },
      { percent: 100, label: "10.0 s" },
    ]);
  });
});
