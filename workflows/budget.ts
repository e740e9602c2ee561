import type { Budget } from "../shared/events.js";
import type { WorkflowDefinition } from "./define-workflow.js";
import type { ChainNode, Node } from "./step.js";

/** What an agent step may cost is set by the deployment's guards. */
export interface BudgetLimits {
  maxSteps: number;
  maxHandoffDepth: number;
  /** Other workflows, for `workflow` steps; one that is not found makes its step unbounded. */
  workflow?: (name: string) => WorkflowDefinition | undefined;
}

interface Cost {
  min: number;
  max: number;
  approvals: number;
  agentRuns: number;
  unbounded: string[];
  /** Fewest model calls on a path that stops the workflow early (a gate, a rejection), if it can. */
  stopMin?: number;
}

const ZERO: Cost = { min: 0, max: 0, approvals: 0, agentRuns: 0, unbounded: [] };

/**
 * The workflow's bound, before it runs: model calls at least and at most, approvals and agent runs
 * at most, and the steps that cannot be bounded. Chains add up (a gate or a rejection may stop one
 * early), routes take the cheapest and the dearest branch, fan-outs multiply, loops count every
 * round; an agent step may take its step limit at every level of handoff.
 */
export function budget(definition: WorkflowDefinition, limits: BudgetLimits, seen: ReadonlySet<string> = new Set()): Budget {
  const cost = costOf(definition.root, "", limits, new Set([...seen, definition.name]));
  return {
    modelCalls: { min: Math.min(cost.min, cost.stopMin ?? cost.min), max: cost.max },
    approvals: cost.approvals,
    agentRuns: cost.agentRuns,
    unboundedSteps: cost.unbounded,
  };
}

function costOf(node: Node, path: string, limits: BudgetLimits, seen: ReadonlySet<string>): Cost {
  const at = (child: Node) => (path ? `${path}/${child.name}` : child.name);
  switch (node.kind) {
    case "llm":
      return { ...ZERO, min: 1, max: 1 };
    case "agent":
      return { ...ZERO, min: 1, max: limits.maxSteps * limits.maxHandoffDepth, agentRuns: 1 };
    case "code":
      return { ...ZERO, min: node.modelCalls, max: node.modelCalls };
    case "tool":
      return ZERO;
    case "gate":
      return { ...ZERO, stopMin: 0 };
    case "approval":
      return { ...ZERO, approvals: 1, stopMin: 0 };
    case "workflow": {
      const target = seen.has(node.workflow) ? undefined : limits.workflow?.(node.workflow);
      if (!target) return { ...ZERO, unbounded: [path] };
      const inner = budget(target, limits, seen);
      return { min: inner.modelCalls.min, max: inner.modelCalls.max, approvals: inner.approvals, agentRuns: inner.agentRuns, unbounded: inner.unboundedSteps.map((step) => `${path}/${step}`) };
    }
    case "chain":
      return sequence(node.steps.map((step) => costOf(step, at(step), limits, seen)));
    case "route": {
      const branches = Object.values(node.branches).map((branch) => costOf(branch, at(branch), limits, seen));
      const stops = branches.flatMap((branch) => (branch.stopMin === undefined ? [] : [branch.stopMin]));
      return {
        min: Math.min(...branches.map((branch) => branch.min)),
        max: Math.max(...branches.map((branch) => branch.max)),
        approvals: Math.max(...branches.map((branch) => branch.approvals)),
        agentRuns: Math.max(...branches.map((branch) => branch.agentRuns)),
        unbounded: branches.flatMap((branch) => branch.unbounded),
        ...(stops.length > 0 ? { stopMin: Math.min(...stops) } : {}),
      };
    }
    case "parallel":
      return together(Object.values(node.branches).map((branch) => costOf(branch, at(branch as ChainNode), limits, seen)));
    case "vote":
      return times(costOf(node.step, at(node.step), limits, seen), node.n, node.n);
    case "orchestrate":
      return sequence([
        costOf(node.planner, at(node.planner), limits, seen),
        times(costOf(node.worker, at(node.worker), limits, seen), 0, node.maxWorkers),
        costOf(node.synthesizer, at(node.synthesizer), limits, seen),
      ]);
    case "loop": {
      const round = sequence([costOf(node.generate, at(node.generate), limits, seen), costOf(node.evaluate, at(node.evaluate), limits, seen)]);
      return { ...times(round, 1, node.maxRounds), ...(round.stopMin !== undefined ? { stopMin: round.stopMin } : {}) };
    }
  }
}

/** Steps one after another: a step that can stop the chain ends it with what came before. */
function sequence(costs: Cost[]): Cost {
  let before = 0;
  let stopMin: number | undefined;
  for (const cost of costs) {
    if (cost.stopMin !== undefined) stopMin = Math.min(stopMin ?? Number.POSITIVE_INFINITY, before + cost.stopMin);
    before += cost.min;
  }
  return { ...together(costs), ...(stopMin !== undefined ? { stopMin } : {}) };
}

/** Costs that all happen (parallel branches); a branch that stops fails its fan-out, not the chain. */
function together(costs: Cost[]): Cost {
  return costs.reduce(
    (sum, cost) => ({
      min: sum.min + cost.min,
      max: sum.max + cost.max,
      approvals: sum.approvals + cost.approvals,
      agentRuns: sum.agentRuns + cost.agentRuns,
      unbounded: [...sum.unbounded, ...cost.unbounded],
    }),
    ZERO,
  );
}

function times(cost: Cost, least: number, most: number): Cost {
  return {
    min: cost.min * least,
    max: cost.max * most,
    approvals: cost.approvals * most,
    agentRuns: cost.agentRuns * most,
    unbounded: cost.unbounded,
  };
}
