/**
 * The team graph without React: which agents and edges there are, where they sit, and which edges
 * are lit right now. Edges come from the team's declared handoffs (GET /api/agents) plus any
 * handoff seen in the conversation, so an agent added at run time still shows up.
 */
import { MANAGER } from "../../shared/agent-name.js";
import { EVERY_AGENT } from "../../shared/agent-spec.js";
import type { Event } from "../../shared/events.js";
import type { AgentSummary } from "./api.js";

/** How long an edge stays lit after the last handoff (or return) along it. */
export const EDGE_HOLD_MS = 1500;
export const NODE_RADIUS = 20;

export interface GraphNode {
  name: string;
  x: number;
  y: number;
  /** In the team list (false: only seen in this conversation's events). */
  known: boolean;
}

export interface GraphEdge {
  key: string;
  from: string;
  to: string;
  /** Declared by the team definition (false: only observed in a handoff). */
  declared: boolean;
  /** SVG path from the edge of `from`'s circle to the edge of `to`'s. */
  path: string;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: readonly GraphNode[];
  edges: readonly GraphEdge[];
}

/** ">" cannot occur in an agent name, so the key is unambiguous. */
export const edgeKey = (from: string, to: string): string => `${from}>${to}`;

function collectNames(agents: readonly AgentSummary[], events: readonly Event[]): { names: string[]; known: Set<string> } {
  const known = new Set(agents.map((agent) => agent.name));
  const names = [...known];
  const seen = new Set(names);
  const add = (name: string | undefined): void => {
    if (name === undefined || seen.has(name)) return;
    seen.add(name);
    names.push(name);
  };
  for (const event of events) {
    if (event.type === "handoff" || event.type === "handoff.return") {
      add(event.data.from);
      add(event.data.to);
    } else if (event.type === "run.started") {
      add(event.agent);
    }
  }
  // The manager leads; everyone else keeps the team's order.
  const managerIndex = names.indexOf(MANAGER);
  if (managerIndex > 0) {
    names.splice(managerIndex, 1);
    names.unshift(MANAGER);
  }
  return { names, known };
}

function place(names: readonly string[]): { width: number; height: number; positions: Map<string, { x: number; y: number }> } {
  const positions = new Map<string, { x: number; y: number }>();
  const hasManager = names[0] === MANAGER;
  const others = hasManager ? names.slice(1) : names.slice();
  const count = others.length;

  if (hasManager && count <= 6) {
    // Manager on top, specialists on an arc below it: the direction work flows reads top-down.
    const width = 380;
    const radius = count <= 1 ? 130 : 145;
    const centre = { x: width / 2, y: 46 };
    positions.set(MANAGER, centre);
    others.forEach((name, index) => {
      const angle = ((180 - ((index + 1) * 180) / (count + 1)) * Math.PI) / 180;
      positions.set(name, { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) });
    });
    return { width, height: count === 0 ? 110 : centre.y + radius + 50, positions };
  }

  // A bigger team (or none designated manager): a ring, the manager in its centre.
  const radius = Math.max(count <= 1 ? 0 : 120, (count * 62) / (2 * Math.PI));
  const width = Math.max(380, 2 * radius + 150);
  const height = 2 * radius + 110;
  const centre = { x: width / 2, y: height / 2 - 10 };
  if (hasManager) positions.set(MANAGER, centre);
  others.forEach((name, index) => {
    const angle = -Math.PI / 2 + (index * 2 * Math.PI) / Math.max(count, 1);
    positions.set(name, { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) });
  });
  return { width, height, positions };
}

/** A curve between two circles; `bend` is how far its middle bows out (more for two-way pairs). */
function pathBetween(a: { x: number; y: number }, b: { x: number; y: number }, bend: number): string {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy) || 1;
  const ux = dx / length;
  const uy = dy / length;
  const gap = NODE_RADIUS + 4;
  const start = { x: a.x + ux * gap, y: a.y + uy * gap };
  const end = { x: b.x - ux * (gap + 3), y: b.y - uy * (gap + 3) };
  const r = (value: number): string => value.toFixed(1);
  // Bend to the left of the direction of travel, so a→b and b→a bow apart.
  const control = { x: (start.x + end.x) / 2 + uy * bend, y: (start.y + end.y) / 2 - ux * bend };
  return `M${r(start.x)},${r(start.y)} Q${r(control.x)},${r(control.y)} ${r(end.x)},${r(end.y)}`;
}

/** The agents `agent` may hand work to: its list, with `"*"` standing for every other enabled agent. */
export function handoffTargets(agent: AgentSummary, team: readonly AgentSummary[]): string[] {
  const targets = new Set<string>();
  for (const target of agent.handoffs) {
    if (target !== EVERY_AGENT) targets.add(target);
    else for (const other of team) if (other.name !== agent.name && other.enabled !== false) targets.add(other.name);
  }
  return [...targets];
}

export function buildTeamGraph(agents: readonly AgentSummary[], events: readonly Event[]): GraphLayout {
  const { names, known } = collectNames(agents, events);
  const { width, height, positions } = place(names);
  const nodes: GraphNode[] = names.map((name) => {
    const position = positions.get(name) ?? { x: width / 2, y: height / 2 };
    return { name, x: position.x, y: position.y, known: known.has(name) };
  });

  const pairs = new Map<string, { from: string; to: string; declared: boolean }>();
  for (const agent of agents) {
    for (const target of handoffTargets(agent, agents)) {
      if (!known.has(target) || target === agent.name) continue;
      pairs.set(edgeKey(agent.name, target), { from: agent.name, to: target, declared: true });
    }
  }
  for (const event of events) {
    if (event.type !== "handoff") continue;
    const key = edgeKey(event.data.from, event.data.to);
    if (!pairs.has(key)) pairs.set(key, { from: event.data.from, to: event.data.to, declared: false });
  }

  const edges: GraphEdge[] = [];
  for (const [key, pair] of pairs) {
    const a = positions.get(pair.from);
    const b = positions.get(pair.to);
    if (a === undefined || b === undefined) continue;
    const fromManager = pair.from === MANAGER;
    const reverseExists = pairs.has(edgeKey(pair.to, pair.from));
    // Always a slight curve: a perfectly straight vertical or horizontal line has an empty bounding
    // box, which browsers (and test tools asking "is it visible?") treat as not rendered.
    const bend = fromManager && !reverseExists ? 10 : 24;
    edges.push({ key, from: pair.from, to: pair.to, declared: pair.declared, path: pathBetween(a, b, bend) });
  }
  return { width, height, nodes, edges };
}

export interface EdgeActivity {
  /** Lit: recent activity or a child run still in progress along it. */
  active: boolean;
  /** A child run handed along this edge has not finished yet. */
  inProgress: boolean;
  /** Which way work moved last: out along the edge, or a result coming back. */
  direction: "forward" | "return";
}

export interface GraphActivity {
  edges: ReadonlyMap<string, EdgeActivity>;
  /** When the next edge goes dark, so the view can re-render then; undefined if nothing is fading. */
  nextChangeAt: number | undefined;
}

/**
 * Which edges are lit at `now`. A handoff lights its edge; a return lights the same edge in the
 * reverse direction; either stays lit `holdMs` after it was received. An edge whose child run is
 * still working stays lit until that run ends. Events without a receive time (the history loaded
 * when the conversation was opened) only count for the in-progress part.
 */
export function deriveGraphActivity(
  events: readonly Event[],
  receivedAt: ReadonlyMap<string, number>,
  now: number,
  holdMs: number = EDGE_HOLD_MS,
): GraphActivity {
  const edgeOfChild = new Map<string, string>();
  const open = new Map<string, string>(); // childRunId → edge key, while the child works
  const ended = new Set<string>();
  const last = new Map<string, { at: number; direction: EdgeActivity["direction"] }>();

  const touch = (key: string, eventId: string, direction: EdgeActivity["direction"]): void => {
    const at = receivedAt.get(eventId);
    if (at === undefined) return;
    const previous = last.get(key);
    if (previous === undefined || previous.at <= at) last.set(key, { at, direction });
  };

  for (const event of events) {
    switch (event.type) {
      case "handoff": {
        const key = edgeKey(event.data.from, event.data.to);
        edgeOfChild.set(event.data.childRunId, key);
        if (!ended.has(event.data.childRunId)) open.set(event.data.childRunId, key);
        touch(key, event.id, "forward");
        break;
      }
      case "handoff.return": {
        const key = edgeOfChild.get(event.data.childRunId) ?? edgeKey(event.data.to, event.data.from);
        open.delete(event.data.childRunId);
        ended.add(event.data.childRunId);
        touch(key, event.id, "return");
        break;
      }
      case "run.completed":
      case "run.failed":
        if (event.runId !== undefined) {
          open.delete(event.runId);
          ended.add(event.runId);
        }
        break;
      default:
        break;
    }
  }

  const edges = new Map<string, EdgeActivity>();
  const inProgress = new Set(open.values());
  let nextChangeAt: number | undefined;
  for (const key of new Set([...inProgress, ...last.keys()])) {
    const recent = last.get(key);
    const until = recent === undefined ? undefined : recent.at + holdMs;
    const lit = until !== undefined && until > now;
    if (lit && until !== undefined) nextChangeAt = nextChangeAt === undefined ? until : Math.min(nextChangeAt, until);
    const working = inProgress.has(key);
    edges.set(key, {
      active: lit || working,
      inProgress: working,
      direction: lit && recent !== undefined ? recent.direction : "forward",
    });
  }
  return { edges, nextChangeAt };
}
