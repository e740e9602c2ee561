import { describe, expect, it } from "vitest";
import type { AgentSummary } from "../src/api.js";
import { buildTeamGraph, deriveGraphActivity, edgeKey } from "../src/team-graph-model.js";
import { event, usage } from "./fixtures.js";

const agent = (name: string, handoffs: string[] = []): AgentSummary => ({ name, description: "", model: "offline", tools: [], handoffs });
const team = [agent("calculator"), agent("manager", ["calculator", "researcher"]), agent("researcher")];
const handoff = (to: string, child: string, mode: "delegate" | "transfer" = "delegate") =>
  event("handoff", { from: "manager", to, mode, reason: "r", task: "t", childRunId: child, depth: 1 }, { runId: "root", agent: "manager" });
const returned = (from: string, child: string) =>
  event("handoff.return", { from, to: "manager", childRunId: child, status: "completed", result: "ok" }, { runId: child, agent: from });
const done = (runId: string) => event("run.completed", { outcome: "answered", usage, latencyMs: 1, costUsd: 0, steps: [] }, { runId });

describe("buildTeamGraph", () => {
  it("puts the manager first, draws declared edges and adds agents and edges seen in handoffs", () => {
    const graph = buildTeamGraph(team, [event("handoff", { from: "researcher", to: "newcomer", mode: "transfer", reason: "", task: "", childRunId: "x", depth: 2 })]);
    expect(graph.nodes.map((node) => node.name)).toEqual(["manager", "calculator", "researcher", "newcomer"]);
    expect(graph.nodes.find((node) => node.name === "newcomer")?.known).toBe(false);
    expect(graph.edges.map((edge) => [edge.key, edge.declared])).toEqual([
      [edgeKey("manager", "calculator"), true],
      [edgeKey("manager", "researcher"), true],
      [edgeKey("researcher", "newcomer"), false],
    ]);
    for (const edge of graph.edges) expect(edge.path).toMatch(/^M[\d.-]+,[\d.-]+ Q/);
  });

  it('reads "*" as every other enabled agent of the team', () => {
    const everyone = [agent("manager", ["*"]), agent("calculator"), { ...agent("retired"), enabled: false }, agent("writer", ["calculator"])];
    const graph = buildTeamGraph(everyone, []);
    expect(graph.nodes.map((node) => node.name)).toEqual(["manager", "calculator", "retired", "writer"]);
    expect(graph.edges.map((edge) => edge.key)).toEqual([edgeKey("manager", "calculator"), edgeKey("manager", "writer"), edgeKey("writer", "calculator")]);
  });

  it("lays out big teams inside the canvas", () => {
    const big = [agent("manager", []), ...Array.from({ length: 12 }, (_, index) => agent(`agent-${index}`))];
    const graph = buildTeamGraph(big, []);
    for (const node of graph.nodes) {
      expect(node.x).toBeGreaterThan(0);
      expect(node.x).toBeLessThan(graph.width);
      expect(node.y).toBeGreaterThan(0);
      expect(node.y).toBeLessThan(graph.height);
    }
  });
});

describe("deriveGraphActivity", () => {
  it("lights parallel delegations at once and keeps them lit while the children work", () => {
    const events = [handoff("calculator", "c1"), handoff("researcher", "c2")];
    const receivedAt = new Map(events.map((item) => [item.id, 1000]));
    const now = deriveGraphActivity(events, receivedAt, 1100);
    expect(now.edges.get(edgeKey("manager", "calculator"))).toEqual({ active: true, inProgress: true, direction: "forward" });
    expect(now.edges.get(edgeKey("manager", "researcher"))?.active).toBe(true);
    expect(now.nextChangeAt).toBe(2500);
    // Long after the pulse: still lit, because the child runs have not finished.
    expect(deriveGraphActivity(events, receivedAt, 60_000).edges.get(edgeKey("manager", "calculator"))?.active).toBe(true);
  });

  it("lights the edge in reverse for a return and lets it go dark 1.5 s later", () => {
    const events = [handoff("calculator", "c1"), done("c1"), returned("calculator", "c1")];
    const receivedAt = new Map(events.map((item, index) => [item.id, 1000 + index * 100]));
    const after = deriveGraphActivity(events, receivedAt, 1300);
    expect(after.edges.get(edgeKey("manager", "calculator"))).toEqual({ active: true, inProgress: false, direction: "return" });
    expect(after.nextChangeAt).toBe(1200 + 1500);
    const later = deriveGraphActivity(events, receivedAt, 2800);
    expect(later.edges.get(edgeKey("manager", "calculator"))?.active).toBe(false);
    expect(later.nextChangeAt).toBeUndefined();
  });

  it("does not flash history that was loaded with the page", () => {
    const events = [handoff("calculator", "c1"), done("c1")];
    // Only edges with some activity are listed; the view draws the rest idle.
    expect(deriveGraphActivity(events, new Map(), 1000).edges.get(edgeKey("manager", "calculator"))?.active ?? false).toBe(false);
  });

  it("ends a transfer's activity when the child run ends", () => {
    const events = [handoff("calculator", "t1", "transfer")];
    expect(deriveGraphActivity(events, new Map(), 0).edges.get(edgeKey("manager", "calculator"))?.inProgress).toBe(true);
    expect(deriveGraphActivity([...events, done("t1")], new Map(), 0).edges.has(edgeKey("manager", "calculator"))).toBe(false);
  });
});
