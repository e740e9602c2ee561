/**
 * A workflow's drawing without React: where each box of the graph goes, top to bottom.
 *
 * The graph is compound: a pattern node (loop, parallel, route, …) holds the steps whose `parent`
 * names it, and is drawn as a labelled box around them. Each box's children are laid out on their
 * own, in layers along the edges between them (an edge between two deeper nodes counts for the
 * children of the innermost box holding both), so a parallel's branches sit side by side in one
 * layer and a chain reads downwards. Edges going back up (a loop's way back to its generator, or
 * any edge that closes a cycle) are drawn on the right side of their box, which keeps room for them.
 */
import type { WorkflowGraph } from "../../shared/workflow.js";
import { kindLabel } from "./workflow-text.js";

/** Sizes in SVG units (px at scale 1). */
export const LAYOUT = {
  nodeHeight: 42,
  minNodeWidth: 118,
  maxNodeWidth: 196,
  terminalWidth: 64,
  terminalHeight: 26,
  /** Between boxes of one layer, and between layers. */
  hGap: 18,
  vGap: 30,
  /** Inside a container: padding, and the band at the top that holds its label. */
  pad: 10,
  header: 24,
  /** Around the whole drawing. */
  margin: 10,
  /** Room right of a box's content for edges that go back up. */
  backGap: 20,
  /** Room under a route's or parallel's label for the edges fanning out to its branches. */
  fanGap: 30,
  labelSize: 12.5,
  smallSize: 10.5,
} as const;

export interface PlacedNode {
  id: string;
  kind: string;
  /** The label as given, for the tooltip, and as drawn (shortened to fit). */
  label: string;
  text: string;
  /** The second line: the kind, and the node's detail. */
  subtitle: string;
  subtext: string;
  detail: string | undefined;
  parent: string | undefined;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Holds other nodes: drawn as a box around them. */
  container: boolean;
  terminal: boolean;
  /** How many containers it sits in. */
  depth: number;
}

export interface PlacedEdge {
  key: string;
  from: string;
  to: string;
  label: string | undefined;
  /** Goes back up (a loop's return): drawn on the right side. */
  back: boolean;
  /** SVG path data. */
  path: string;
  labelX: number;
  labelY: number;
}

export interface WorkflowLayout {
  width: number;
  height: number;
  /** In drawing order: containers (outermost first), then steps. */
  nodes: readonly PlacedNode[];
  edges: readonly PlacedEdge[];
}

/** A rough width of `text` in the sans-serif UI font: enough to size boxes and shorten labels. */
export function textWidth(text: string, size: number, bold = false): number {
  let units = 0;
  for (const char of text) {
    if (/[il.,:;'|!]/.test(char)) units += 0.3;
    else if (/[mwMW@]/.test(char)) units += 0.85;
    else if (/[A-Z0-9]/.test(char)) units += 0.64;
    else units += 0.54;
  }
  return units * size * (bold ? 1.06 : 1);
}

/** `text`, shortened with "…" to fit `width`. */
export function fitText(text: string, width: number, size: number, bold = false): string {
  if (textWidth(text, size, bold) <= width) return text;
  let kept = text;
  while (kept.length > 1 && textWidth(`${kept}…`, size, bold) > width) kept = kept.slice(0, -1);
  return `${kept.trimEnd()}…`;
}

const r = (value: number): string => (Math.round(value * 10) / 10).toString();

interface Box {
  width: number;
  height: number;
}

interface ContainerLayout {
  /** Child id → position relative to the content's top-left corner. */
  positions: Map<string, { x: number; y: number }>;
  contentWidth: number;
  contentHeight: number;
  /** Extra room right of the content for back edges. */
  backRoom: number;
  /** Extra room above the content for edges that fan out from the container to its branches. */
  fanRoom: number;
  /** Child id → layer index. */
  layers: Map<string, number>;
}

export function layoutWorkflowGraph(graph: WorkflowGraph): WorkflowLayout {
  // --- The tree of containers. ---
  const nodes = new Map<string, WorkflowGraph["nodes"][number]>();
  for (const node of graph.nodes) if (!nodes.has(node.id)) nodes.set(node.id, node);
  const index = new Map([...nodes.keys()].map((id, position) => [id, position]));

  const parentOf = new Map<string, string>();
  for (const node of nodes.values()) {
    if (node.parent !== undefined && node.parent !== node.id && nodes.has(node.parent)) parentOf.set(node.id, node.parent);
  }
  // A malformed graph whose parents form a cycle: cut the link that closes it.
  for (const id of nodes.keys()) {
    const seen = new Set<string>([id]);
    let current = id;
    for (;;) {
      const parent = parentOf.get(current);
      if (parent === undefined) break;
      if (seen.has(parent)) {
        parentOf.delete(current);
        break;
      }
      seen.add(parent);
      current = parent;
    }
  }
  const ROOT = "\u0000root";
  const children = new Map<string, string[]>();
  for (const id of nodes.keys()) {
    const parent = parentOf.get(id) ?? ROOT;
    children.set(parent, [...(children.get(parent) ?? []), id]);
  }
  const isContainer = (id: string): boolean => (children.get(id)?.length ?? 0) > 0;
  /** [id, parent, grandparent, …, ROOT]. */
  const chain = (id: string): string[] => {
    const result = [id];
    let current = parentOf.get(id);
    while (current !== undefined) {
      result.push(current);
      current = parentOf.get(current);
    }
    result.push(ROOT);
    return result;
  };

  // --- Each edge belongs to the innermost container holding both ends. ---
  interface Lifted {
    edge: number;
    container: string;
    a: string;
    b: string;
    explicitBack: boolean;
  }
  const lifted: Lifted[] = [];
  /** Edges from a container to something inside it (or back): drawn specially or not at all. */
  const nested = new Map<number, { outer: string; inner: string; outward: boolean }>();
  graph.edges.forEach((edge, edgeIndex) => {
    if (!nodes.has(edge.from) || !nodes.has(edge.to)) return;
    const from = chain(edge.from);
    const to = chain(edge.to);
    if (edge.from !== edge.to && to.includes(edge.from)) {
      nested.set(edgeIndex, { outer: edge.from, inner: edge.to, outward: false });
      return;
    }
    if (edge.from !== edge.to && from.includes(edge.to)) {
      nested.set(edgeIndex, { outer: edge.to, inner: edge.from, outward: true });
      return;
    }
    const container = from.slice(1).find((id) => to.includes(id)) ?? ROOT;
    const a = from[from.indexOf(container) - 1] ?? edge.from;
    const b = to[to.indexOf(container) - 1] ?? edge.to;
    lifted.push({ edge: edgeIndex, container, a, b, explicitBack: edge.back === true });
  });

  // --- Box sizes of steps. ---
  const holds = new Set(parentOf.values());
  const leafBox = new Map<string, Box>();
  const texts = new Map<string, { text: string; subtitle: string; subtext: string }>();
  for (const node of nodes.values()) {
    const terminal = node.kind === "start" || node.kind === "end";
    // A step's detail already says what it is ("model → JSON", "tool lookup_order"); a pattern's says how ("≤ 3 rounds").
    const patternKind = node.label === node.kind ? undefined : kindLabel(node.kind);
    const subtitle = terminal ? "" : holds.has(node.id) ? [patternKind, node.detail].filter(Boolean).join(" · ") || kindLabel(node.kind) : node.detail || kindLabel(node.kind);
    if (terminal) {
      leafBox.set(node.id, { width: LAYOUT.terminalWidth, height: LAYOUT.terminalHeight });
      texts.set(node.id, { text: fitText(node.label, LAYOUT.terminalWidth - 12, LAYOUT.smallSize, true), subtitle, subtext: "" });
      continue;
    }
    const wanted = Math.max(textWidth(node.label, LAYOUT.labelSize, true), textWidth(subtitle, LAYOUT.smallSize)) + 22;
    const width = Math.min(LAYOUT.maxNodeWidth, Math.max(LAYOUT.minNodeWidth, Math.ceil(wanted)));
    leafBox.set(node.id, { width, height: LAYOUT.nodeHeight });
    texts.set(node.id, {
      text: fitText(node.label, width - 16, LAYOUT.labelSize, true),
      subtitle,
      subtext: fitText(subtitle, width - 16, LAYOUT.smallSize),
    });
  }

  // --- Lay out each container's children, innermost first (sizes flow outwards). ---
  const boxes = new Map<string, Box>();
  const layouts = new Map<string, ContainerLayout>();
  const headerText = (id: string): string => {
    const node = nodes.get(id);
    if (node === undefined) return "";
    return [node.label, [kindLabel(node.kind), node.detail].filter(Boolean).join(" · ")].join("  ");
  };

  const layoutContainer = (container: string): ContainerLayout => {
    const kids = children.get(container) ?? [];
    for (const kid of kids) boxOf(kid);
    const edges = lifted.filter((edge) => edge.container === container && edge.a !== edge.b);
    const order = (id: string): number => index.get(id) ?? 0;

    // Break cycles: an edge to a node still on the depth-first stack goes back.
    const outgoing = new Map<string, Lifted[]>();
    for (const edge of edges) if (!edge.explicitBack) outgoing.set(edge.a, [...(outgoing.get(edge.a) ?? []), edge]);
    const state = new Map<string, "open" | "done">();
    const cycleBack = new Set<Lifted>();
    const visit = (id: string): void => {
      state.set(id, "open");
      for (const edge of outgoing.get(id) ?? []) {
        const next = state.get(edge.b);
        if (next === "open") cycleBack.add(edge);
        else if (next === undefined) visit(edge.b);
      }
      state.set(id, "done");
    };
    for (const kid of kids) if (!state.has(kid)) visit(kid);
    const forward = edges.filter((edge) => !edge.explicitBack && !cycleBack.has(edge));

    // Longest-path layers: a node sits one layer below the lowest of its predecessors.
    const layer = new Map<string, number>(kids.map((kid) => [kid, 0]));
    const incoming = new Map<string, number>(kids.map((kid) => [kid, 0]));
    for (const edge of forward) incoming.set(edge.b, (incoming.get(edge.b) ?? 0) + 1);
    const ready = kids.filter((kid) => incoming.get(kid) === 0);
    while (ready.length > 0) {
      const id = ready.shift() as string;
      for (const edge of forward) {
        if (edge.a !== id) continue;
        layer.set(edge.b, Math.max(layer.get(edge.b) ?? 0, (layer.get(id) ?? 0) + 1));
        const left = (incoming.get(edge.b) ?? 1) - 1;
        incoming.set(edge.b, left);
        if (left === 0) ready.push(edge.b);
      }
    }

    // Rows in input order, then each row sorted by where its predecessors sit (fewer crossings).
    const rows: string[][] = [];
    for (const kid of [...kids].sort((x, y) => order(x) - order(y))) {
      const at = layer.get(kid) ?? 0;
      (rows[at] ??= []).push(kid);
    }
    const denseRows = rows.filter((row) => row !== undefined && row.length > 0);
    denseRows.forEach((row, rowIndex) => row.forEach((id) => layer.set(id, rowIndex)));
    for (let rowIndex = 1; rowIndex < denseRows.length; rowIndex++) {
      const above = denseRows[rowIndex - 1] as string[];
      const row = denseRows[rowIndex] as string[];
      const centre = (id: string): number => {
        const preds = forward.filter((edge) => edge.b === id && above.includes(edge.a)).map((edge) => above.indexOf(edge.a));
        return preds.length === 0 ? row.indexOf(id) : preds.reduce((sum, value) => sum + value, 0) / preds.length;
      };
      const keys = new Map(row.map((id) => [id, centre(id)]));
      row.sort((x, y) => (keys.get(x) ?? 0) - (keys.get(y) ?? 0) || order(x) - order(y));
    }

    // Positions: each node under the middle of its predecessors (a chain keeps its column), pushed
    // right only as far as its row needs; a node without predecessors in view packs to the left.
    const rowHeight = (row: readonly string[]): number => Math.max(0, ...row.map((id) => boxes.get(id)?.height ?? 0));
    const centres = new Map<string, number>();
    const xs = new Map<string, number>();
    for (const row of denseRows) {
      let right = Number.NEGATIVE_INFINITY;
      for (const id of row) {
        const width = (boxes.get(id) as Box).width;
        const preds = forward.filter((edge) => edge.b === id && centres.has(edge.a)).map((edge) => centres.get(edge.a) as number);
        const wanted = preds.length === 0 ? undefined : (Math.min(...preds) + Math.max(...preds)) / 2 - width / 2;
        const x = right === Number.NEGATIVE_INFINITY ? (wanted ?? 0) : Math.max(wanted ?? right + LAYOUT.hGap, right + LAYOUT.hGap);
        xs.set(id, x);
        centres.set(id, x + width / 2);
        right = x + width;
      }
    }
    const left = Math.min(0, ...xs.values());
    const contentWidth = Math.max(0, ...[...xs].map(([id, x]) => x - left + (boxes.get(id)?.width ?? 0)));
    const positions = new Map<string, { x: number; y: number }>();
    let y = 0;
    denseRows.forEach((row, rowIndex) => {
      const height = rowHeight(row);
      for (const id of row) {
        const box = boxes.get(id) as Box;
        positions.set(id, { x: (xs.get(id) ?? 0) - left, y: y + (height - box.height) / 2 });
      }
      y += height + (rowIndex < denseRows.length - 1 ? LAYOUT.vGap : 0);
    });

    // Room on the right for the edges that go back up (and their labels).
    let backRoom = 0;
    for (const edge of lifted) {
      if (edge.container !== container) continue;
      const back = edge.a === edge.b || edge.explicitBack || (layer.get(edge.b) ?? 0) <= (layer.get(edge.a) ?? 0);
      if (!back) continue;
      const label = graph.edges[edge.edge]?.label;
      backRoom = Math.max(backRoom, LAYOUT.backGap + (label ? textWidth(label, LAYOUT.smallSize) + 6 : 0));
    }
    for (const [edgeIndex, link] of nested) {
      if (!link.outward || graph.edges[edgeIndex]?.back !== true || link.outer !== container) continue;
      const label = graph.edges[edgeIndex]?.label;
      backRoom = Math.max(backRoom, LAYOUT.backGap + (label ? textWidth(label, LAYOUT.smallSize) + 6 : 0));
    }

    const fans = [...nested.values()].some((link) => link.outer === container && !link.outward);
    const result = { positions, contentWidth, contentHeight: y, backRoom, fanRoom: fans ? LAYOUT.fanGap : 0, layers: layer };
    layouts.set(container, result);
    return result;
  };

  function boxOf(id: string): Box {
    const known = boxes.get(id);
    if (known !== undefined) return known;
    if (!isContainer(id)) {
      const box = leafBox.get(id) as Box;
      boxes.set(id, box);
      return box;
    }
    const inner = layoutContainer(id);
    const headerWidth = textWidth(headerText(id), LAYOUT.smallSize, true) + 8;
    const box = {
      // Room for back edges on both sides, so the content stays centred under what leads into it.
      width: Math.ceil(2 * LAYOUT.pad + Math.max(inner.contentWidth + 2 * inner.backRoom, headerWidth)),
      height: Math.ceil(LAYOUT.header + inner.fanRoom + inner.contentHeight + LAYOUT.pad),
    };
    boxes.set(id, box);
    return box;
  }

  const root = layoutContainer(ROOT);

  // --- Absolute positions, outside in. ---
  const placed = new Map<string, PlacedNode>();
  /** Each container's content box, absolute: where back edges turn. */
  const contentBox = new Map<string, { x: number; y: number; width: number; height: number }>();
  const place = (container: string, originX: number, originY: number, depth: number): void => {
    const layout = layouts.get(container) as ContainerLayout;
    contentBox.set(container, { x: originX, y: originY, width: layout.contentWidth, height: layout.contentHeight });
    for (const id of children.get(container) ?? []) {
      const node = nodes.get(id);
      const position = layout.positions.get(id);
      if (node === undefined || position === undefined) continue;
      const box = boxes.get(id) as Box;
      const x = originX + position.x;
      const y = originY + position.y;
      const text = texts.get(id) as { text: string; subtitle: string; subtext: string };
      const container = isContainer(id);
      placed.set(id, {
        id,
        kind: node.kind,
        label: node.label,
        text: container ? node.label : text.text,
        subtitle: text.subtitle,
        subtext: container ? text.subtitle : text.subtext,
        detail: node.detail,
        parent: parentOf.get(id),
        x,
        y,
        width: box.width,
        height: box.height,
        container,
        terminal: node.kind === "start" || node.kind === "end",
        depth,
      });
      if (container) {
        const inner = layouts.get(id) as ContainerLayout;
        place(id, x + (box.width - inner.contentWidth) / 2, y + LAYOUT.header + inner.fanRoom, depth + 1);
      }
    }
  };
  place(ROOT, LAYOUT.margin, LAYOUT.margin, 0);

  // --- Edges. ---
  const labelledInto = new Map<string, number>();
  for (const edge of graph.edges) if (edge.label) labelledInto.set(edge.to, (labelledInto.get(edge.to) ?? 0) + 1);
  const edges: PlacedEdge[] = [];
  const keys = new Set<string>();
  const keyFor = (from: string, to: string): string => {
    let key = `${from}>${to}`;
    for (let n = 2; keys.has(key); n++) key = `${from}>${to}#${n}`;
    keys.add(key);
    return key;
  };
  const backEdge = (edgeIndex: number, source: PlacedNode, target: { right: number; cy: number }, container: string): void => {
    const edge = graph.edges[edgeIndex];
    if (edge === undefined) return;
    const box = contentBox.get(container) ?? { x: 0, width: 0 };
    const turn = box.x + box.width + LAYOUT.backGap - 6;
    const sx = source.x + source.width;
    const sy = source.y + source.height / 2;
    const path =
      edge.from === edge.to
        ? `M${r(sx)},${r(sy - 8)} C${r(sx + 26)},${r(sy - 22)} ${r(sx + 26)},${r(sy + 22)} ${r(sx + 3)},${r(sy + 9)}`
        : `M${r(sx)},${r(sy)} C${r(turn)},${r(sy)} ${r(turn)},${r(target.cy)} ${r(target.right + 3)},${r(target.cy)}`;
    edges.push({
      key: keyFor(edge.from, edge.to),
      from: edge.from,
      to: edge.to,
      label: edge.label,
      back: true,
      path,
      labelX: (edge.from === edge.to ? sx + 24 : turn) + 4,
      labelY: (sy + target.cy) / 2 + 4,
    });
  };

  for (const item of lifted) {
    const edge = graph.edges[item.edge];
    const source = placed.get(edge?.from ?? "");
    const target = placed.get(edge?.to ?? "");
    if (edge === undefined || source === undefined || target === undefined) continue;
    const layers = layouts.get(item.container)?.layers;
    const back = item.a === item.b || item.explicitBack || (layers?.get(item.b) ?? 0) <= (layers?.get(item.a) ?? 0);
    if (back) {
      backEdge(item.edge, source, { right: target.x + target.width, cy: target.y + target.height / 2 }, item.container);
      continue;
    }
    const x1 = source.x + source.width / 2;
    const y1 = source.y + source.height;
    const x2 = target.x + target.width / 2;
    const y2 = target.y - 2;
    // Over several rows: straight down in the source's column, turning only in the last gap, where
    // nothing else is drawn.
    const turn = y2 - y1 > 2 * LAYOUT.vGap + 8 ? y2 - LAYOUT.vGap : y1;
    const bend = Math.max(8, (y2 - turn) / 2);
    const path = `M${r(x1)},${r(y1)}${turn > y1 ? ` V${r(turn)}` : ""} C${r(x1)},${r(turn + bend)} ${r(x2)},${r(y2 - bend)} ${r(x2)},${r(y2)}`;
    const nearTarget = (labelledInto.get(edge.to) ?? 0) <= 1;
    edges.push({
      key: keyFor(edge.from, edge.to),
      from: edge.from,
      to: edge.to,
      label: edge.label,
      back: false,
      path,
      labelX: nearTarget ? x2 + 5 : (x1 + x2) / 2 + 5,
      labelY: nearTarget ? y2 - 7 : (y1 + y2) / 2,
    });
  }
  // A route or parallel fanning out to its branches: from under its label to each branch's top.
  for (const [edgeIndex, link] of nested) {
    const edge = graph.edges[edgeIndex];
    const outer = placed.get(link.outer);
    const inner = placed.get(link.inner);
    if (link.outward || edge === undefined || outer === undefined || inner === undefined) continue;
    const x1 = outer.x + outer.width / 2;
    const y1 = outer.y + LAYOUT.header - 3;
    const x2 = inner.x + inner.width / 2;
    const y2 = inner.y - 2;
    const bend = Math.max(6, (y2 - y1) / 2);
    edges.push({
      key: keyFor(edge.from, edge.to),
      from: edge.from,
      to: edge.to,
      label: edge.label,
      back: false,
      path: `M${r(x1)},${r(y1)} C${r(x1)},${r(y1 + bend)} ${r(x2)},${r(y2 - bend)} ${r(x2)},${r(y2)}`,
      labelX: x2 + 5,
      labelY: y2 - 7,
    });
  }
  // A step inside a loop that leads back to the loop itself: back to the loop's first row.
  for (const [edgeIndex, link] of nested) {
    if (!link.outward || graph.edges[edgeIndex]?.back !== true) continue;
    const source = placed.get(link.inner);
    const layout = layouts.get(link.outer);
    const first = (children.get(link.outer) ?? []).find((id) => layout?.layers.get(id) === 0);
    const target = first === undefined ? undefined : placed.get(first);
    if (source === undefined || target === undefined) continue;
    backEdge(edgeIndex, source, { right: target.x + target.width, cy: target.y + target.height / 2 }, link.outer);
  }

  const all = [...placed.values()];
  const ordered = [
    ...all.filter((node) => node.container).sort((a, b) => a.depth - b.depth),
    ...all.filter((node) => !node.container),
  ];
  return {
    width: Math.ceil(2 * LAYOUT.margin + root.contentWidth + root.backRoom),
    height: Math.ceil(2 * LAYOUT.margin + root.contentHeight),
    nodes: ordered,
    edges,
  };
}
