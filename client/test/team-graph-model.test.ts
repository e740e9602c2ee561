import { describe, expect, it } from "vitest";
import type { AgentSummary } from "../src/api.js";
import { buildTeamGraph, deriveGraphActivity, edgeKey, labelText, NODE_EXTENT, type Point } from "../src/team-graph-model.js";
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

/** Separating-axis test for two convex polygons: true when some edge normal separates them (touching counts as apart). */
function polygonsApart(a: readonly Point[], b: readonly Point[]): boolean {
  for (const polygon of [a, b]) {
    for (let i = 0; i < polygon.length; i += 1) {
      const p = polygon[i] as Point;
      const q = polygon[(i + 1) % polygon.length] as Point;
      const axis = { x: q.y - p.y, y: p.x - q.x };
      const project = (points: readonly Point[]) => points.map((point) => point.x * axis.x + point.y * axis.y);
      const pa = project(a);
      const pb = project(b);
      if (Math.max(...pa) <= Math.min(...pb) || Math.max(...pb) <= Math.min(...pa)) return true;
    }
  }
  return false;
}

/** Whether a circle stays clear of a convex polygon: its centre outside, and every edge farther than the radius. */
function circleClear(centre: Point, radius: number, polygon: readonly Point[]): boolean {
  let inside = true;
  for (let i = 0; i < polygon.length; i += 1) {
    const p = polygon[i] as Point;
    const q = polygon[(i + 1) % polygon.length] as Point;
    const dx = q.x - p.x;
    const dy = q.y - p.y;
    const t = Math.max(0, Math.min(1, ((centre.x - p.x) * dx + (centre.y - p.y) * dy) / (dx * dx + dy * dy)));
    if (Math.hypot(p.x + t * dx - centre.x, p.y + t * dy - centre.y) <= radius) return false;
    if (dx * (centre.y - p.y) - dy * (centre.x - p.x) < 0) inside = false;
  }
  return !inside;
}

const longName = (index: number) => `agent-${String(index).padStart(2, "0")}-${"m".repeat(23)}`;

describe("team graph layout at every size", () => {
  const sizes = Array.from({ length: 30 }, (_, index) => index + 1);

  it.each(sizes)("keeps %i agents with 32-character names clear of each other and inside the canvas", (size) => {
    const team = [agent("manager", ["*"]), ...Array.from({ length: size - 1 }, (_, index) => agent(longName(index)))];
    expect(team.every((member) => member.name === "manager" || member.name.length === 32)).toBe(true);
    expectReadable(team, size);
  });

  it.each([1, 2, 5, 30])("keeps %i agents of a team without a manager clear of each other", (size) => {
    expectReadable(Array.from({ length: size }, (_, index) => agent(longName(index))), size);
  });
});

/** Every node and label inside the canvas, no two labels overlapping, no label over any node, no two nodes touching. */
function expectReadable(team: AgentSummary[], size: number): void {
  const graph = buildTeamGraph(team, []);
  expect(graph.nodes).toHaveLength(size);
  const nodes = graph.nodes;
  for (const [i, node] of nodes.entries()) {
    for (const corner of node.label.box) {
      expect(corner.x).toBeGreaterThanOrEqual(0);
      expect(corner.x).toBeLessThanOrEqual(graph.width);
      expect(corner.y).toBeGreaterThanOrEqual(0);
      expect(corner.y).toBeLessThanOrEqual(graph.height);
    }
    expect(node.x - NODE_EXTENT).toBeGreaterThanOrEqual(0);
    expect(node.x + NODE_EXTENT).toBeLessThanOrEqual(graph.width);
    expect(node.y - NODE_EXTENT).toBeGreaterThanOrEqual(0);
    expect(node.y + NODE_EXTENT).toBeLessThanOrEqual(graph.height);
    // A cut name keeps its start, and the cut shows.
    expect(node.name.startsWith(node.label.text.replace(/…$/, ""))).toBe(true);
    for (const other of nodes.slice(i + 1)) {
      expect(polygonsApart(node.label.box, other.label.box), `labels of ${node.name} and ${other.name}`).toBe(true);
      expect(Math.hypot(node.x - other.x, node.y - other.y), `nodes ${node.name} and ${other.name}`).toBeGreaterThan(2 * NODE_EXTENT);
    }
    for (const other of nodes) {
      expect(circleClear(other, NODE_EXTENT, node.label.box), `label of ${node.name} against node ${other.name}`).toBe(true);
    }
  }
}

describe("team graph labels", () => {
  it("reads left to right on both halves of the ring", () => {
    const graph = buildTeamGraph([agent("manager"), ...Array.from({ length: 12 }, (_, index) => agent(longName(index)))], []);
    for (const node of graph.nodes.slice(1)) {
      const rotate = ((node.label.rotate % 360) + 360) % 360;
      // Text reads left to right when its baseline points rightwards (or straight up or down).
      expect(rotate <= 90 || rotate >= 270).toBe(true);
      expect(node.label.anchor).toBe(node.x < graph.width / 2 - 1e-6 ? "end" : "start");
    }
  });

  it("shows short names whole and cuts long ones with an ellipsis", () => {
    expect(labelText("writer", 14)).toBe("writer");
    expect(labelText(longName(1), 14)).toBe("agent-01-mmmm…");
    expect(labelText(longName(1), 14)).toHaveLength(14);
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
