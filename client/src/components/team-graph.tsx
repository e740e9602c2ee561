import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { MANAGER } from "../../../shared/agent-name.js";
import type { Event } from "../../../shared/events.js";
import { agentInitials } from "../agent-style.js";
import type { AgentSummary } from "../api.js";
import { countRender } from "../render-count.js";
import { buildTeamGraph, deriveGraphActivity, LABEL_FONT_PX, NODE_RADIUS, type EdgeActivity, type GraphLabel, type GraphLayout } from "../team-graph-model.js";
import { agentStyle } from "./agent-badge.js";

const IDLE: EdgeActivity = { active: false, inProgress: false, direction: "forward" };
/**
 * The smallest a label may come out on screen (px). A big team's ring is wider than the panel:
 * rather than shrink it until its names are specks, the graph keeps this size and its box scrolls.
 */
export const MIN_LABEL_PX = 9;

/**
 * The layout keeps every label inside a box of `label.width`; text that a font draws wider than
 * the layout reckoned is squeezed into it, so no two labels can meet whatever the font.
 */
function fitLabel(label: GraphLabel): (element: SVGTextElement | null) => void {
  return (element) => {
    if (element === null) return;
    element.removeAttribute("textLength");
    if (element.getComputedTextLength() > label.width) {
      element.setAttribute("textLength", label.width.toFixed(1));
      element.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  };
}

function describe(layout: GraphLayout, activity: ReadonlyMap<string, EdgeActivity>, working: ReadonlySet<string>): string {
  if (layout.nodes.length === 0) return "Team graph: no agents yet.";
  const parts = [`Team graph of ${layout.nodes.length} ${layout.nodes.length === 1 ? "agent" : "agents"}.`];
  const targets = new Map<string, string[]>();
  for (const edge of layout.edges) targets.set(edge.from, [...(targets.get(edge.from) ?? []), edge.to]);
  for (const [from, to] of targets) parts.push(`${from} can hand off to ${to.join(", ")}.`);
  const moving = layout.edges
    .filter((edge) => activity.get(edge.key)?.active)
    .map((edge) => (activity.get(edge.key)?.direction === "return" ? `${edge.to} back to ${edge.from}` : `${edge.from} to ${edge.to}`));
  if (moving.length > 0) parts.push(`Work moving: ${moving.join("; ")}.`);
  parts.push(working.size > 0 ? `Working now: ${[...working].join(", ")}.` : "Nobody is working right now.");
  return parts.join(" ");
}

/**
 * The team as a graph: the manager beside a column of specialists (on a ring around it for a
 * bigger team), an edge per possible handoff. An edge lights up while work moves along it (and
 * back, for a returned result) and stays lit while the child run it started is working; an agent
 * with an unfinished run shows as working. A node is a button: choosing it (click, Enter, Space)
 * calls `onSelect` with its agent.
 */
export const TeamGraph = memo(function TeamGraph({
  agents,
  events,
  receivedAt,
  working,
  selected,
  onSelect,
}: {
  agents: readonly AgentSummary[];
  events: readonly Event[];
  receivedAt: ReadonlyMap<string, number>;
  working: ReadonlySet<string>;
  /** The agent the trace is filtered to, drawn as chosen. */
  selected: string | undefined;
  onSelect: (agent: string) => void;
}) {
  countRender("team-graph");
  const layout = useMemo(() => buildTeamGraph(agents, events), [agents, events]);
  // Edges fade with the clock alone, so the view asks to be re-rendered when the next one does.
  const [clock, setClock] = useState(0);
  const activity = useMemo(() => deriveGraphActivity(events, receivedAt, Date.now()), [events, receivedAt, clock]);
  useEffect(() => {
    if (activity.nextChangeAt === undefined) return;
    const timer = setTimeout(() => setClock((value) => value + 1), Math.max(0, activity.nextChangeAt - Date.now()) + 20);
    return () => clearTimeout(timer);
  }, [activity.nextChangeAt]);

  const disabled = useMemo(() => new Set(agents.filter((agent) => agent.enabled === false).map((agent) => agent.name)), [agents]);
  const label = `${describe(layout, activity.edges, working)}${disabled.size > 0 ? ` Disabled: ${[...disabled].join(", ")}.` : ""}`;
  // Fitted to the panel unless that would draw labels under MIN_LABEL_PX: then at that size, scrolling.
  const least = MIN_LABEL_PX / LABEL_FONT_PX;
  const view = useRef<HTMLDivElement>(null);
  // A graph bigger than its box opens on its middle, where the manager is.
  useLayoutEffect(() => {
    const element = view.current;
    if (element === null) return;
    element.scrollLeft = (element.scrollWidth - element.clientWidth) / 2;
    element.scrollTop = (element.scrollHeight - element.clientHeight) / 2;
  }, [layout.width, layout.height]);

  return (
    <div className="team-graph-view" data-testid="team-graph-view" ref={view}>
    <svg
      className="team-graph"
      data-testid="team-graph"
      role="group"
      aria-label={label}
      viewBox={`0 0 ${layout.width.toFixed(0)} ${layout.height.toFixed(0)}`}
      preserveAspectRatio="xMidYMin meet"
      style={{ minWidth: `${(layout.width * least).toFixed(0)}px`, minHeight: `${(layout.height * least).toFixed(0)}px` }}
    >
      <defs>
        <marker id="sb-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" className="edge-arrow" />
        </marker>
        <marker id="sb-arrow-active" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" className="edge-arrow is-active" />
        </marker>
      </defs>
      <g className="edges">
        {layout.edges.map((edge) => {
          const state = activity.edges.get(edge.key) ?? IDLE;
          return (
            <g
              key={edge.key}
              className={`edge${state.active ? " is-active" : ""}${state.inProgress ? " is-in-progress" : ""}${edge.declared ? "" : " is-observed"}`}
              data-testid="graph-edge"
              data-from={edge.from}
              data-to={edge.to}
              data-active={state.active ? "true" : "false"}
              data-direction={state.direction}
            >
              <path className="edge-line" d={edge.path} markerEnd={state.active ? "url(#sb-arrow-active)" : "url(#sb-arrow)"} />
              {state.active && <path className={`edge-flow is-${state.direction}`} d={edge.path} />}
            </g>
          );
        })}
      </g>
      <g className="nodes">
        {layout.nodes.map((node) => {
          const busy = working.has(node.name);
          const chosen = selected === node.name;
          const choose = (): void => onSelect(node.name);
          const onKeyDown = (event: KeyboardEvent<SVGCircleElement>): void => {
            if (event.key !== "Enter" && event.key !== " ") return;
            event.preventDefault();
            choose();
          };
          return (
            <g
              key={node.name}
              className={`node${busy ? " is-working" : ""}${node.name === MANAGER ? " is-manager" : ""}${node.known ? "" : " is-unknown"}${disabled.has(node.name) ? " is-disabled" : ""}${chosen ? " is-selected" : ""}`}
              data-testid="graph-node"
              data-agent={node.name}
              data-working={busy ? "true" : "false"}
              onClick={choose}
            >
              <g transform={`translate(${node.x.toFixed(1)} ${node.y.toFixed(1)})`} style={agentStyle(node.name)}>
                {busy && <circle className="node-halo" r={NODE_RADIUS + 5} />}
                <circle className="node-circle" data-testid="graph-node-circle" r={NODE_RADIUS} />
                <text className="node-initials" textAnchor="middle" dy="0.35em" aria-hidden="true">
                  {agentInitials(node.name)}
                </text>
                {/* The button itself holds no visible text, so its name (the whole agent name) is all it says. */}
                <circle
                  className="node-hit"
                  data-testid="graph-node-button"
                  r={NODE_RADIUS}
                  role="button"
                  tabIndex={0}
                  aria-pressed={chosen}
                  aria-label={`${node.name}${busy ? ", working" : ""}: show its runs and open it in the agents panel`}
                  onKeyDown={onKeyDown}
                >
                  <title>{`${node.name}${busy ? " (working)" : ""}`}</title>
                </circle>
              </g>
              <text
                ref={fitLabel(node.label)}
                className="node-label"
                data-testid="graph-node-label"
                aria-hidden="true"
                textAnchor={node.label.anchor}
                dominantBaseline="central"
                transform={`translate(${node.label.x.toFixed(1)} ${node.label.y.toFixed(1)}) rotate(${node.label.rotate.toFixed(2)})`}
              >
                {node.label.text}
              </text>
            </g>
          );
        })}
      </g>
    </svg>
    </div>
  );
});
