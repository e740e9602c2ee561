import type { GraphEdge, GraphNode, WorkflowGraph } from "../shared/workflow.js";
import type { WorkflowDefinition } from "./define-workflow.js";
import type { Node } from "./step.js";

/**
 * The workflow as boxes and arrows, for drawing. Node ids are step paths, the same paths the run's
 * `workflow.step` events carry, so a client lights up the box of each event. Pattern nodes contain
 * their steps (`parent`); route and parallel nodes fan out to their branches' first steps, and a
 * loop has an edge back from its evaluator to its generator.
 */
export function workflowGraph(definition: WorkflowDefinition): WorkflowGraph {
  const nodes: GraphNode[] = [{ id: "start", kind: "start", label: "start" }];
  const edges: GraphEdge[] = [];
  const link = (from: string[], to: string[], label?: string) => {
    for (const a of from) for (const b of to) edges.push({ from: a, to: b, ...(label ? { label } : {}) });
  };

  /** Adds the node and what it holds; returns where arrows come in and where they leave. */
  const add = (node: Node, path: string, parent: string | undefined): { entries: string[]; exits: string[] } => {
    const at = (child: Node) => `${path}/${child.name}`;
    const box = (detail?: string) => nodes.push({ id: path, kind: node.kind, label: node.name, ...(parent ? { parent } : {}), ...(detail ? { detail } : {}) });
    switch (node.kind) {
      case "chain":
        return sequence(node.steps.map((step) => [step, at(step)] as const), parent);
      case "route":
      case "parallel": {
        box(node.kind === "route" ? "one branch" : "all at once");
        const exits: string[] = [];
        for (const [key, branch] of Object.entries(node.branches)) {
          const inner = add(branch, at(branch), path);
          link([path], inner.entries, key);
          exits.push(...inner.exits);
        }
        return { entries: [path], exits };
      }
      case "vote": {
        box(`${node.n} at once`);
        const inner = add(node.step, at(node.step), path);
        link([path], inner.entries, `×${node.n}`);
        return { entries: [path], exits: inner.exits };
      }
      case "orchestrate": {
        box(`≤ ${node.maxWorkers} workers`);
        const planner = add(node.planner, at(node.planner), path);
        const worker = add(node.worker, at(node.worker), path);
        const synthesizer = add(node.synthesizer, at(node.synthesizer), path);
        link(planner.exits, worker.entries, `≤ ${node.maxWorkers} subtasks`);
        link(worker.exits, synthesizer.entries);
        return { entries: planner.entries, exits: synthesizer.exits };
      }
      case "loop": {
        box(`≤ ${node.maxRounds} rounds`);
        const generate = add(node.generate, at(node.generate), path);
        const evaluate = add(node.evaluate, at(node.evaluate), path);
        link(generate.exits, evaluate.entries);
        for (const from of evaluate.exits) for (const to of generate.entries) edges.push({ from, to, label: "until it passes", back: true });
        return { entries: generate.entries, exits: evaluate.exits };
      }
      case "llm":
        box(node.output ? "model → JSON" : "model");
        break;
      case "agent":
        box(`agent ${node.agent}`);
        break;
      case "tool":
        box(`tool ${node.tool}`);
        break;
      case "code":
        box(node.modelCalls > 0 ? `code, ${node.modelCalls} model calls` : "code");
        break;
      case "approval":
        box(node.timeoutMs !== undefined ? `a person decides; ${node.onTimeout}s after ${humanDuration(node.timeoutMs)}` : "a person decides");
        break;
      case "workflow":
        box(`workflow ${node.workflow}`);
        break;
      case "gate":
        box("check");
        break;
    }
    return { entries: [path], exits: [path] };
  };

  const sequence = (steps: (readonly [Node, string])[], parent: string | undefined) => {
    let entries: string[] = [];
    let exits: string[] = [];
    for (const [index, [step, path]] of steps.entries()) {
      const inner = add(step, path, parent);
      if (index === 0) entries = inner.entries;
      else link(exits, inner.entries);
      exits = inner.exits;
    }
    return { entries, exits };
  };

  const root = sequence(definition.root.steps.map((step) => [step, step.name] as const), undefined);
  link(["start"], root.entries);
  nodes.push({ id: "end", kind: "end", label: "end" });
  link(root.exits, ["end"]);
  return { nodes, edges };
}

function humanDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1000, "s"],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
