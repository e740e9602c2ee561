import { expect, it } from "vitest";
import type { Budget } from "../../shared/events.js";
import { parseRoute, routeHref } from "../src/route.js";
import { alreadyDecided, describeBudget, describeMeter, describeModelCalls, describeTimeout, formatUntil } from "../src/workflow-text.js";

const budget = (min: number, max: number, extra: Partial<Budget> = {}): Budget => ({ modelCalls: { min, max }, approvals: 0, agentRuns: 0, unboundedSteps: [], ...extra });

it("states a workflow's bound before it runs", () => {
  expect(describeBudget(budget(0, 9, { approvals: 1 }))).toBe("at most 9 model calls · 1 approval");
  expect(describeBudget(budget(5, 9, { approvals: 1 }))).toBe("5–9 model calls · 1 approval");
  expect(describeBudget(budget(3, 3, { approvals: 2, agentRuns: 1 }))).toBe("3 model calls · 2 approvals · up to 1 agent run");
  expect(describeModelCalls(budget(0, 0))).toBe("no model calls");
  expect(describeModelCalls(budget(1, 1))).toBe("1 model call");
  expect(describeModelCalls(budget(2, 4, { unboundedSteps: ["sub"] }))).toBe("at least 2 model calls, no upper bound");
});

it("fills the meter against the bound", () => {
  expect(describeMeter(4, budget(5, 9))).toBe("4 of at most 9 model calls");
  expect(describeMeter(1, budget(0, 1))).toBe("1 of at most 1 model call");
  expect(describeMeter(3, undefined)).toBe("3 model calls used");
});

it("says when an approval decides itself", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  expect(formatUntil("2025-01-03T00:00:00Z", now)).toBe("in 2 days");
  expect(formatUntil("2025-01-01T05:00:00Z", now)).toBe("in 5 h");
  expect(formatUntil("2025-01-01T00:12:00Z", now)).toBe("in 12 min");
  expect(formatUntil("2025-01-01T00:00:20Z", now)).toBe("in under a minute");
  expect(formatUntil("2024-12-31T00:00:00Z", now)).toBe("now");
  expect(describeTimeout("2025-01-03T00:00:00Z", "reject", now)).toBe("Rejects automatically in 2 days");
  expect(describeTimeout("2025-01-01T00:30:00Z", "approve", now)).toBe("Approves automatically in 30 min");
  expect(describeTimeout("2024-12-31T00:00:00Z", "reject", now)).toBe("Timed out: rejecting automatically");
});

it("reads and writes the page's place in the address", () => {
  expect(parseRoute("#/c/conv_12345678")).toEqual({ kind: "conversation", conversationId: "conv_12345678" });
  expect(parseRoute("#/workflows")).toEqual({ kind: "workflows", workflow: undefined });
  expect(parseRoute("#/workflows/content-pipeline")).toEqual({ kind: "workflows", workflow: "content-pipeline" });
  expect(parseRoute("#/workflows/Bad_Name")).toEqual({ kind: "none" });
  expect(parseRoute("")).toEqual({ kind: "none" });
  for (const hash of ["#/c/abc", "#/workflows", "#/workflows/order-triage"]) expect(routeHref(parseRoute(hash))).toBe(hash);
});

it("reads a refusal of a second decision as a person would", () => {
  expect(alreadyDecided("already approved by alice")).toBe("Already approved by alice");
  const withTime = alreadyDecided("Already approved by local at 2026-12-01T22:33:48.979Z.");
  expect(withTime).toMatch(/^Already approved by local at .+\.$/);
  expect(withTime).not.toContain("T22:33");
  expect(alreadyDecided("  ")).toBe("Someone else decided first.");
});
