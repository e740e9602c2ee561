import { describe, expect, it } from "vitest";
import type { WorkflowGraph } from "../../shared/workflow.js";
import { fitText, layoutWorkflowGraph, type PlacedNode, type WorkflowLayout } from "../src/workflow-graph-layout.js";
import { PIPELINE, TRIAGE } from "./workflow-fixtures.js";

const node = (layout: WorkflowLayout, id: string): PlacedNode => {
  const found = layout.nodes.find((item) => item.id === id);
  if (found === undefined) throw new Error(`no node ${id}`);
  return found;
};
const centreX = (box: PlacedNode): number => box.x + box.width / 2;
const inside = (inner: PlacedNode, outer: PlacedNode): boolean =>
  inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
const overlap = (a: PlacedNode, b: PlacedNode): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe("layoutWorkflowGraph", () => {
  it("reads the pipeline top to bottom, start first and end last", () => {
    const layout = layoutWorkflowGraph(PIPELINE);
    const order = ["start", "draft", "review-loop", "translate", "editor", "publish", "end"].map((id) => node(layout, id));
    for (let index = 1; index < order.length; index++) {
      const above = order[index - 1] as PlacedNode;
      const below = order[index] as PlacedNode;
      expect(below.y, `${below.id} below ${above.id}`).toBeGreaterThanOrEqual(above.y + above.height);
    }
    expect(layout.width).toBeGreaterThan(0);
    expect(layout.height).toBeGreaterThanOrEqual(node(layout, "end").y + node(layout, "end").height);
    for (const item of layout.nodes) expect(item.x + item.width).toBeLessThanOrEqual(layout.width);
  });

  it("draws a pattern as a box around its steps, a loop's steps one under the other", () => {
    const layout = layoutWorkflowGraph(PIPELINE);
    const loop = node(layout, "review-loop");
    expect(loop.container).toBe(true);
    expect(loop.subtitle).toBe("loop · ≤ 3 rounds");
    expect(node(layout, "review-loop/review").subtitle).toBe("model → JSON");
    expect(node(layout, "end").subtitle).toBe("");
    const revise = node(layout, "review-loop/revise");
    const review = node(layout, "review-loop/review");
    expect(inside(revise, loop) && inside(review, loop)).toBe(true);
    expect(review.y).toBeGreaterThan(revise.y + revise.height);
    expect(revise.depth).toBe(1);
    // Containers come first, so the steps are drawn on top of them.
    const firstLeaf = layout.nodes.findIndex((item) => !item.container);
    expect(layout.nodes.slice(firstLeaf).every((item) => !item.container)).toBe(true);
  });

  it("puts parallel branches side by side in one row, without overlapping", () => {
    const layout = layoutWorkflowGraph(PIPELINE);
    const fr = node(layout, "translate/fr/translate-fr");
    const de = node(layout, "translate/de/translate-de");
    expect(fr.y).toBe(de.y);
    expect(overlap(fr, de)).toBe(false);
    expect(inside(fr, node(layout, "translate")) && inside(de, node(layout, "translate"))).toBe(true);
  });

  it("draws the loop's way back on the right, with room for its label, and labels branch edges", () => {
    const layout = layoutWorkflowGraph(PIPELINE);
    const back = layout.edges.find((edge) => edge.from === "review-loop/review" && edge.to === "review-loop/revise");
    expect(back?.back).toBe(true);
    expect(back?.label).toBe("until it passes");
    const loop = node(layout, "review-loop");
    const review = node(layout, "review-loop/review");
    // The label starts right of the steps and stays within the loop's box.
    expect(back?.labelX).toBeGreaterThan(review.x + review.width);
    expect((back?.labelX ?? 0) + "until it passes".length * 5).toBeLessThanOrEqual(loop.x + loop.width + 1);
    const forward = layout.edges.filter((edge) => !edge.back);
    expect(forward).toHaveLength(PIPELINE.edges.length - 1);
    // The parallel fans out from under its label to each branch, labelled with the branch's name.
    const fans = layout.edges.filter((edge) => edge.from === "translate");
    expect(fans.map((edge) => edge.label)).toEqual(["fr", "de"]);
    const translate = node(layout, "translate");
    const fr = node(layout, "translate/fr/translate-fr");
    expect(fr.y - translate.y).toBeGreaterThanOrEqual(40);
    expect(fans[0]?.labelY).toBeGreaterThan(translate.y + 20);
    expect(fans[0]?.labelY).toBeLessThan(fr.y);
    for (const edge of layout.edges) expect(edge.path).toMatch(/^M[\d.-]+,[\d.-]+( V[\d.-]+)? C/);
  });

  it("lays out route branches side by side inside the route, a chain branch reading down", () => {
    const layout = layoutWorkflowGraph(TRIAGE);
    const route = node(layout, "route");
    const lookup = node(layout, "route/damaged/lookup_order");
    const refund = node(layout, "route/damaged/refund-ok");
    const issue = node(layout, "route/damaged/issue_refund");
    const writer = node(layout, "route/wrong_item/writer");
    const eta = node(layout, "route/late/eta");
    for (const inner of [lookup, refund, issue, writer, eta]) expect(inside(inner, route)).toBe(true);
    expect(refund.depth).toBe(1);
    // The first steps of the branches share a row, left to right in the order they were declared.
    expect(lookup.y).toBe(writer.y);
    expect(writer.y).toBe(eta.y);
    expect(centreX(lookup)).toBeLessThan(centreX(writer));
    expect(centreX(writer)).toBeLessThan(centreX(eta));
    expect(refund.y).toBeGreaterThan(lookup.y + lookup.height);
    expect(issue.y).toBeGreaterThan(refund.y + refund.height);
    // The chain keeps its column, and the steps after the route sit under its middle.
    expect(centreX(refund)).toBeCloseTo(centreX(lookup), 0);
    expect(centreX(issue)).toBeCloseTo(centreX(lookup), 0);
    expect(centreX(node(layout, "end"))).toBeCloseTo(centreX(route), 0);
    expect(centreX(node(layout, "classify"))).toBeCloseTo(centreX(route), 0);
    // A branch's way out to the end goes straight down its column first, turning in the last gap.
    const out = layout.edges.find((edge) => edge.from === "route/late/eta" && edge.to === "end");
    expect(out?.path).toMatch(/^M([\d.-]+),[\d.-]+ V[\d.-]+ C\1,/);
    const boxes = [lookup, refund, issue, writer, eta];
    for (const a of boxes) for (const b of boxes) if (a !== b) expect(overlap(a, b)).toBe(false);
    const labels = layout.edges.filter((edge) => edge.from === "route").map((edge) => edge.label);
    expect(labels).toEqual(["damaged", "wrong_item", "late"]);
    expect(node(layout, "end").y).toBeGreaterThan(route.y + route.height);
  });

  it("survives cycles without back marks, unknown parents and ends, and duplicate ids", () => {
    const graph: WorkflowGraph = {
      nodes: [
        { id: "a", kind: "llm", label: "a" },
        { id: "b", kind: "llm", label: "b", parent: "missing" },
        { id: "c", kind: "code", label: "c", parent: "d" },
        { id: "d", kind: "chain", label: "d", parent: "c" },
        { id: "a", kind: "tool", label: "again" },
      ],
      edges: [
        { from: "a", to: "b" },
        { from: "b", to: "a" },
        { from: "a", to: "nowhere" },
        { from: "a", to: "a" },
      ],
    };
    const layout = layoutWorkflowGraph(graph);
    expect(layout.nodes.map((item) => item.id).sort()).toEqual(["a", "b", "c", "d"]);
    expect(node(layout, "b").y).toBeGreaterThan(node(layout, "a").y);
    const backs = layout.edges.filter((edge) => edge.back).map((edge) => `${edge.from}>${edge.to}`);
    expect(backs.sort()).toEqual(["a>a", "b>a"]);
    expect(layout.edges).toHaveLength(3);
    expect(new Set(layout.edges.map((edge) => edge.key)).size).toBe(3);
  });

  it("shortens long labels to fit their box and keeps the whole label for the tooltip", () => {
    const long = "summarise-the-customer-complaint-and-propose-a-remedy";
    const layout = layoutWorkflowGraph({ nodes: [{ id: "x", kind: "llm", label: long }], edges: [] });
    const box = node(layout, "x");
    expect(box.label).toBe(long);
    expect(box.text.endsWith("…")).toBe(true);
    expect(box.text.length).toBeLessThan(long.length);
    expect(fitText("short", 200, 12)).toBe("short");
  });

  it("draws nothing for an empty graph", () => {
    const layout = layoutWorkflowGraph({ nodes: [], edges: [] });
    expect(layout.nodes).toEqual([]);
    expect(layout.edges).toEqual([]);
  });
});
