import { useEffect, useMemo, useState } from "react";
import { MANAGER } from "../../../shared/agent-name.js";
import type { Event } from "../../../shared/events.js";
import { agentInitials } from "../agent-style.js";
import type { AgentSummary } from "../api.js";
import { buildTeamGraph, deriveGraphActivity, NODE_RADIUS, type EdgeActivity, type GraphLayout } from "../team-graph-model.js";
import { agentStyle } from "./agent-badge.js";

const IDLE: EdgeActivity = { active: false, inProgress: false, direction: "forward" };

const shortName = (name: string): string => (name.length > 14 ? `${name.slice(0, 13)}…` : name);

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
 * The team as a graph: the manager on top, specialists around it, an edge per possible handoff.
 * An edge lights up while work moves along it (and back, for a returned result) and stays lit while
 * the child run it started is working; an agent with an unfinished run shows as working.
 */
export function TeamGraph({
  agents,
  events,
  receivedAt,
  working,
}: {
  agents: readonly AgentSummary[];
  events: readonly Event[];
  receivedAt: ReadonlyMap<string, number>;
  working: ReadonlySet<string>;
}) {
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

  return (
    <svg
      className="team-graph"
      data-testid="team-graph"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${layout.width.toFixed(0)} ${layout.height.toFixed(0)}`}
      preserveAspectRatio="xMidYMin meet"
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
          return (
            <g
              key={node.name}
              className={`node${busy ? " is-working" : ""}${node.name === MANAGER ? " is-manager" : ""}${node.known ? "" : " is-unknown"}${disabled.has(node.name) ? " is-disabled" : ""}`}
              data-testid="graph-node"
              data-agent={node.name}
              data-working={busy ? "true" : "false"}
              transform={`translate(${node.x.toFixed(1)} ${node.y.toFixed(1)})`}
              style={agentStyle(node.name)}
            >
              {busy && <circle className="node-halo" r={NODE_RADIUS + 5} />}
              <circle className="node-circle" r={NODE_RADIUS} />
              <text className="node-initials" textAnchor="middle" dy="0.35em">
                {agentInitials(node.name)}
              </text>
              <text className="node-label" textAnchor="middle" y={NODE_RADIUS + 15}>
                {shortName(node.name)}
              </text>
              {busy && (
                <text className="node-working" textAnchor="middle" y={NODE_RADIUS + 27}>
                  working…
                </text>
              )}
            </g>
          );
        })}
      </g>
    </svg>
  );
}
