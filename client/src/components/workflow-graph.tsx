import { useId, useMemo } from "react";
import type { WorkflowGraph } from "../../../shared/workflow.js";
import { layoutWorkflowGraph, LAYOUT, fitText, type PlacedNode, type WorkflowLayout } from "../workflow-graph-layout.js";
import { describeRound, type NodeState, type NodeView } from "../workflow-runs.js";
import { kindLabel } from "../workflow-text.js";

const STATE_WORDS: Readonly<Record<NodeState, string>> = {
  pending: "not started",
  running: "running",
  waiting: "waiting for approval",
  completed: "completed",
  failed: "failed",
  skipped: "skipped",
};

/** The drawing in words, for screen readers: the steps top to bottom, patterns with what they hold, and where a run is. */
function describe(name: string, layout: WorkflowLayout, states: ReadonlyMap<string, NodeView> | undefined): string {
  const byParent = new Map<string | undefined, PlacedNode[]>();
  for (const node of layout.nodes) byParent.set(node.parent, [...(byParent.get(node.parent) ?? []), node]);
  const reading = (nodes: readonly PlacedNode[]): string =>
    [...nodes]
      .filter((node) => !node.terminal)
      .sort((a, b) => a.y - b.y || a.x - b.x)
      .map((node) => {
        const inner = byParent.get(node.id);
        const what = `${node.label} (${kindLabel(node.kind)}${node.detail ? `, ${node.detail}` : ""})`;
        return inner === undefined ? what : `${what}: ${reading(inner)}`;
      })
      .join("; ");
  const parts = [`Graph of ${name}, top to bottom: ${reading(byParent.get(undefined) ?? []) || "no steps"}.`];
  if (states !== undefined) {
    for (const state of ["running", "waiting", "completed", "failed"] as const) {
      const names = layout.nodes.filter((node) => !node.terminal && states.get(node.id)?.state === state).map((node) => node.label);
      if (names.length > 0) parts.push(`${STATE_WORDS[state][0]?.toUpperCase()}${STATE_WORDS[state].slice(1)}: ${names.join(", ")}.`);
    }
  }
  return parts.join(" ");
}

function StateMark({ state, x, y }: { state: NodeState; x: number; y: number }) {
  switch (state) {
    case "completed":
      return <path className="wf-mark" d={`M${x - 4},${y} l3,3 l5,-6`} />;
    case "failed":
      return <path className="wf-mark" d={`M${x - 3.5},${y - 3.5} l7,7 M${x + 3.5},${y - 3.5} l-7,7`} />;
    case "running":
      return <circle className="wf-spinner" cx={x} cy={y} r="4.5" />;
    case "waiting":
      return <path className="wf-mark" d={`M${x},${y - 4.5} v5 M${x},${y + 3} v0.5`} />;
    default:
      return null;
  }
}

/**
 * A workflow's graph as SVG: steps as boxes, patterns as labelled boxes around their steps, branch
 * names on edges, a loop's way back on the right. Given `states` (a run's), each box shows where
 * the run is: running boxes are animated (several at once for parallel branches), a loop shows its
 * round. Wider graphs scroll sideways on a phone rather than shrink past reading.
 */
export function WorkflowGraphView({
  name,
  graph,
  states,
}: {
  name: string;
  graph: WorkflowGraph;
  states?: ReadonlyMap<string, NodeView>;
}) {
  const layout = useMemo(() => layoutWorkflowGraph(graph), [graph]);
  const id = useId().replace(/:/g, "");
  const label = describe(name, layout, states);
  const stateOf = (nodeId: string): NodeState | undefined => states?.get(nodeId)?.state;
  const edgeState = (from: string, to: string): string => {
    const source = stateOf(from);
    const target = stateOf(to);
    // Work moving along it: from a finished step, or from a pattern (running) to a branch it started.
    if ((source === "completed" || source === "running") && (target === "running" || target === "waiting")) return " is-active";
    if (source === "completed" && (target === "completed" || target === "failed")) return " is-done";
    return "";
  };

  return (
    // On a phone a wide graph scrolls sideways: focusable, so the keyboard can scroll it too.
    <div className="wf-graph-scroll" tabIndex={0} role="region" aria-label={`Graph of ${name}`}>
      <svg
        className={`wf-graph${states === undefined ? "" : " has-states"}`}
        data-testid="workflow-graph"
        role="img"
        aria-label={label}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        width={layout.width}
        height={layout.height}
        // Shrinks with the column, but not below 80% (a phone scrolls a wide graph sideways instead).
        style={{ maxWidth: "100%", minWidth: Math.min(layout.width, Math.max(300, Math.round(layout.width * 0.8))), height: "auto" }}
      >
        <defs>
          <marker id={`${id}-arrow`} viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="wf-arrow" />
          </marker>
          <marker id={`${id}-arrow-on`} viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="wf-arrow is-on" />
          </marker>
        </defs>
        <g className="wf-containers">
          {layout.nodes
            .filter((node) => node.container)
            .map((node) => {
              const view = states?.get(node.id);
              const round = view === undefined ? undefined : describeRound(view);
              const state = view?.state;
              const subtitle = round === undefined ? node.subtitle : node.label === node.kind ? round : `${kindLabel(node.kind)} · ${round}`;
              return (
                <g
                  key={node.id}
                  className={`wf-container depth-${Math.min(node.depth, 3)}${state === undefined ? "" : ` is-${state}`}`}
                  data-testid="workflow-node"
                  data-node-id={node.id}
                  data-kind={node.kind}
                  data-state={state}
                  data-round={view?.round}
                >
                  <title>{`${node.label} — ${subtitle}${state === undefined ? "" : ` — ${STATE_WORDS[state]}`}`}</title>
                  <rect x={node.x} y={node.y} width={node.width} height={node.height} rx="10" />
                </g>
              );
            })}
        </g>
        <g className="wf-edges">
          {layout.edges.map((edge) => {
            const lit = edgeState(edge.from, edge.to);
            return (
              <g key={edge.key} className={`wf-edge${edge.back ? " is-back" : ""}${lit}`} data-from={edge.from} data-to={edge.to}>
                <path d={edge.path} markerEnd={`url(#${id}-arrow${lit === " is-active" ? "-on" : ""})`} />
                {edge.label !== undefined && (
                  <text className="wf-edge-label" x={edge.labelX} y={edge.labelY}>
                    {edge.label}
                  </text>
                )}
              </g>
            );
          })}
        </g>
        {/* Patterns' labels above the edges (with a halo), so an edge entering a box does not cross them out. */}
        <g className="wf-container-labels" aria-hidden="true">
          {layout.nodes
            .filter((node) => node.container)
            .map((node) => {
              const view = states?.get(node.id);
              const round = view === undefined ? undefined : describeRound(view);
              const subtitle = round === undefined ? node.subtitle : node.label === node.kind ? round : `${kindLabel(node.kind)} · ${round}`;
              return (
                <text
                  key={node.id}
                  className={`wf-container-label${view === undefined ? "" : ` is-${view.state}`}`}
                  data-label-of={node.id}
                  x={node.x + LAYOUT.pad}
                  y={node.y + 16}
                >
                  <tspan className="wf-container-name">{fitText(node.label, node.width / 2, LAYOUT.smallSize, true)}</tspan>
                  <tspan className="wf-container-detail" dx="6">
                    {subtitle}
                  </tspan>
                </text>
              );
            })}
        </g>
        <g className="wf-steps">
          {layout.nodes
            .filter((node) => !node.container)
            .map((node) => {
              const view = states?.get(node.id);
              const state = view?.state;
              const round = view === undefined ? undefined : describeRound(view);
              const tooltip = [node.label, node.terminal ? undefined : node.subtitle, round, state === undefined ? undefined : STATE_WORDS[state]]
                .filter(Boolean)
                .join(" — ");
              return (
                <g
                  key={node.id}
                  className={`wf-node kind-${node.kind}${node.terminal ? " is-terminal" : ""}${state === undefined ? "" : ` is-${state}`}`}
                  data-testid="workflow-node"
                  data-node-id={node.id}
                  data-kind={node.kind}
                  data-state={state}
                  data-round={view?.round}
                >
                  <title>{tooltip}</title>
                  <rect x={node.x} y={node.y} width={node.width} height={node.height} rx={node.terminal ? node.height / 2 : 8} />
                  {node.terminal ? (
                    <text className="wf-terminal-label" x={node.x + node.width / 2} y={node.y + node.height / 2 + 4} textAnchor="middle">
                      {node.text}
                    </text>
                  ) : (
                    <>
                      <text className="wf-node-label" x={node.x + 9} y={node.y + 17}>
                        {node.text}
                      </text>
                      <text className="wf-node-sub" x={node.x + 9} y={node.y + 32}>
                        {fitText(round === undefined ? node.subtitle : `${node.subtitle} · ${round}`, node.width - (state === undefined || state === "pending" ? 16 : 30), LAYOUT.smallSize)}
                      </text>
                      {state !== undefined && <StateMark state={state} x={node.x + node.width - 13} y={node.y + 13} />}
                    </>
                  )}
                </g>
              );
            })}
        </g>
      </svg>
    </div>
  );
}
