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
/** How far a node reaches: its circle plus the halo a working agent gets. */
export const NODE_EXTENT = NODE_RADIUS + 5;
/** Label font size (px, as styles.css sets `.node-label`) and the box one line of it takes. */
export const LABEL_FONT_PX = 11;
export const LABEL_HEIGHT = 14;
/**
 * The widest a label character is taken to be (0.62 em; agent names are lowercase letters, digits
 * and "-"). The view squeezes a label whose rendered text comes out wider, so its box holds.
 */
export const LABEL_CHAR_WIDTH = LABEL_FONT_PX * 0.62;
/** Longest label in the column and on the ring; a longer name ends in "…" (the node's title and accessible name carry it whole). */
export const COLUMN_LABEL_CHARS = 16;
export const RING_LABEL_CHARS = 14;
/** Space between a node's halo and its label. */
const LABEL_GAP = 4;
/** Up to this many specialists sit in one column beside the manager; more go on a ring around it. */
export const COLUMN_MAX = 6;
const ROW = 2 * NODE_EXTENT + 12;
/** From this many agents on the ring, two staggered rings are tried (fewer fit one ring as well). */
const STAGGER_MIN = 8;
/** Between the two rings: two halos and a gap, so nodes of different rings never touch. */
const RING_GAP = 2 * NODE_EXTENT + 4;
const MARGIN = 8;
const LONE_WIDTH = 300;

export interface Point {
  x: number;
  y: number;
}

export interface GraphLabel {
  /** What is drawn: the name, or its start and "…". */
  text: string;
  /** Where the text is anchored (its middle line), and the turn (degrees) it is drawn at around that point. */
  x: number;
  y: number;
  rotate: number;
  anchor: "start" | "middle" | "end";
  /** The most room the text may take along its line (the view squeezes wider text into it). */
  width: number;
  /** The four corners of the rectangle the label may occupy, in order. */
  box: readonly Point[];
}

export interface GraphNode {
  name: string;
  x: number;
  y: number;
  /** In the team list (false: only seen in this conversation's events). */
  known: boolean;
  label: GraphLabel;
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

/** The label text: the whole name when it fits in `chars`, else its start and "…". */
export function labelText(name: string, chars: number): string {
  return name.length > chars ? `${name.slice(0, chars - 1)}…` : name;
}

const labelWidth = (text: string): number => text.length * LABEL_CHAR_WIDTH;

/** A horizontal label: `x` is where the text starts, ends or has its middle, by `anchor`; `y` its middle line. */
function flatLabel(text: string, x: number, y: number, anchor: GraphLabel["anchor"]): GraphLabel {
  const width = labelWidth(text);
  const left = anchor === "start" ? x : anchor === "end" ? x - width : x - width / 2;
  const top = y - LABEL_HEIGHT / 2;
  const box = [
    { x: left, y: top },
    { x: left + width, y: top },
    { x: left + width, y: top + LABEL_HEIGHT },
    { x: left, y: top + LABEL_HEIGHT },
  ];
  return { text, x, y, rotate: 0, anchor, width, box };
}

/**
 * A label along the ray from `centre` at `angle`, from `inner` outwards: turned to lie on the ray,
 * and a half turn more on the left half so that it still reads left to right.
 */
function radialLabel(text: string, centre: Point, angle: number, inner: number): GraphLabel {
  const width = labelWidth(text);
  const u = { x: Math.cos(angle), y: Math.sin(angle) };
  const v = { x: -u.y, y: u.x };
  const at = (along: number, across: number): Point => ({
    x: centre.x + u.x * along + v.x * across,
    y: centre.y + u.y * along + v.y * across,
  });
  const half = LABEL_HEIGHT / 2;
  const box = [at(inner, -half), at(inner + width, -half), at(inner + width, half), at(inner, half)];
  const start = at(inner, 0);
  const degrees = (angle * 180) / Math.PI;
  const leftHalf = u.x < -1e-9;
  return { text, x: start.x, y: start.y, rotate: leftHalf ? degrees + 180 : degrees, anchor: leftHalf ? "end" : "start", width, box };
}

interface Placed {
  width: number;
  height: number;
  positions: Map<string, Point>;
  labels: Map<string, GraphLabel>;
}

/**
 * Where nodes and labels go, chosen so that no two labels overlap and no label touches a node,
 * whatever the names (labels are cut to a fixed number of characters), at any team size:
 * - The manager and up to COLUMN_MAX specialists: the manager on the left, the specialists in a
 *   column to its right, each label right of its node. Every specialist owns a band of height ROW
 *   holding its halo and its label, and the manager's label sits under the manager, left of the
 *   column, so no two boxes can meet. Labels stay horizontal, the easiest to read.
 * - More (or no manager): a ring around the manager, each label on its node's ray outside the
 *   ring. Labels start past the ring's outer edge, so they clear every node; each lies in its own
 *   wedge around its ray, of half-angle atan((LABEL_HEIGHT/2) / inner), which the radius keeps
 *   under half the angle between neighbours. (Rows of horizontal labels would make a 30-agent
 *   graph far taller than the panel; the ring keeps it square.) A big team's ring is two staggered
 *   rings where that makes the graph smaller, the labels still starting past the outer one.
 */
function place(names: readonly string[]): Placed {
  const positions = new Map<string, Point>();
  const labels = new Map<string, GraphLabel>();
  const hasManager = names[0] === MANAGER;
  const others = hasManager ? names.slice(1) : names.slice();
  const count = others.length;
  const managerText = labelText(MANAGER, COLUMN_LABEL_CHARS);
  const managerBelow = NODE_EXTENT + LABEL_GAP + LABEL_HEIGHT / 2;

  if (hasManager && count <= COLUMN_MAX) {
    const managerHalf = Math.max(NODE_EXTENT, labelWidth(managerText) / 2);
    // Alone, the manager sits in the middle of a canvas as wide as a small team's, not blown up to fill the panel.
    const managerX = count === 0 ? LONE_WIDTH / 2 : MARGIN + managerHalf;
    const columnX = managerX + managerHalf + 110;
    const labelsX = columnX + NODE_EXTENT + LABEL_GAP;
    const widest = Math.max(0, ...others.map((name) => labelWidth(labelText(name, COLUMN_LABEL_CHARS))));
    const columnHeight = Math.max(count * ROW, 2 * (managerBelow + LABEL_HEIGHT / 2));
    const managerY = MARGIN + columnHeight / 2;
    positions.set(MANAGER, { x: managerX, y: managerY });
    labels.set(MANAGER, flatLabel(managerText, managerX, managerY + managerBelow, "middle"));
    const top = MARGIN + (columnHeight - count * ROW) / 2;
    others.forEach((name, index) => {
      const y = top + ROW * index + ROW / 2;
      positions.set(name, { x: columnX, y });
      labels.set(name, flatLabel(labelText(name, COLUMN_LABEL_CHARS), labelsX, y, "start"));
    });
    const width = count === 0 ? LONE_WIDTH : labelsX + widest + MARGIN;
    return { width, height: columnHeight + 2 * MARGIN, positions, labels };
  }

  // The centre's node and label inside the ring.
  const forCentre = hasManager ? Math.hypot(labelWidth(managerText) / 2, managerBelow + LABEL_HEIGHT / 2) + NODE_EXTENT + 8 : 0;
  const least = Math.max(forCentre, count <= 1 ? 0 : 90);
  // One ring: neighbours' halos apart (a chord of two halos and a gap).
  const step = (2 * Math.PI) / Math.max(count, 1);
  const single = Math.max(count <= 1 ? 0 : (NODE_EXTENT + 4) / Math.sin(step / 2), least);
  // Two staggered rings, every other node on the outer one: neighbours on a ring are two slots
  // apart (an odd team leaves one slot empty), so the inner ring is about half as wide, and an
  // edge from the centre to the outer ring passes between two inner nodes with the same room.
  const slots = count + (count % 2);
  const slot = (2 * Math.PI) / Math.max(slots, 1);
  const innerRing = Math.max(count < STAGGER_MIN ? Infinity : (NODE_EXTENT + 4) / Math.sin(slot), least);
  const staggered = innerRing + RING_GAP < single;
  const radiusOf = (index: number): number => (!staggered ? single : index % 2 === 0 ? innerRing : innerRing + RING_GAP);
  const angleOf = (index: number): number => -Math.PI / 2 + index * (staggered ? slot : step);
  // Labels start past the outermost ring, so they clear every node.
  const inner = (staggered ? innerRing + RING_GAP : single) + NODE_EXTENT + LABEL_GAP;
  const texts = others.map((name) => labelText(name, RING_LABEL_CHARS));
  const reach = inner + Math.max(0, ...texts.map(labelWidth));
  const size = 2 * reach + 2 * MARGIN;
  const centre = { x: size / 2, y: size / 2 };
  if (hasManager) {
    positions.set(MANAGER, centre);
    labels.set(MANAGER, flatLabel(managerText, centre.x, centre.y + managerBelow, "middle"));
  }
  others.forEach((name, index) => {
    const angle = angleOf(index);
    const radius = radiusOf(index);
    positions.set(name, { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) });
    const text = texts[index] ?? name;
    // A lone agent without a manager sits in the middle: its name goes under it, not up a ray.
    labels.set(name, count === 1 && !hasManager ? flatLabel(text, centre.x, centre.y + managerBelow, "middle") : radialLabel(text, centre, angle, inner));
  });
  return { width: size, height: size, positions, labels };
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
  const { width, height, positions, labels } = place(names);
  const nodes: GraphNode[] = names.map((name) => {
    const position = positions.get(name) ?? { x: width / 2, y: height / 2 };
    const label = labels.get(name) ?? flatLabel(name, position.x, position.y, "middle");
    return { name, x: position.x, y: position.y, known: known.has(name), label };
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
      case "run.cancelled":
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
