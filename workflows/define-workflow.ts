import { createHash } from "node:crypto";
import { z } from "zod";
import { ConfigurationError } from "../agents/errors.js";
import { WorkflowName } from "../shared/workflow.js";
import {
  branch,
  type ChainNode,
  type LoopRound,
  type Node,
  type OutputOf,
  type Step,
} from "./step.js";

/** A workflow as the runtime holds it: a name, its input schema and one top-level chain. */
export interface WorkflowDefinition {
  name: string;
  description: string;
  input: z.ZodObject;
  root: ChainNode;
  /** Hash of the definition, functions' source included: a run is pinned to the one it started on. */
  version: string;
  /** Where it came from, for messages: "code" or a catalog file. */
  origin: string;
}

/**
 * A workflow under construction: each call adds one step or pattern to its top-level chain and
 * returns a new builder whose output type is that step's. Immutable, so a prefix can be shared.
 */
export class Workflow<In, Out> {
  constructor(
    private readonly head: { name: string; description: string; input: z.ZodObject; origin: string },
    private readonly steps: readonly Node[],
  ) {}

  /** Adds a step (or a `chain(...)`) that takes this workflow's current value. */
  step<O>(step: Step<Out, O>): Workflow<In, O> {
    return this.add(step);
  }

  /** Stops the chain with a reason when `check` returns a string; the value passes through unchanged. */
  gate(name: string, check: (value: Out) => true | string): Workflow<In, Out> {
    return this.add({ kind: "gate", name, check });
  }

  /** Runs exactly one branch: the one `select` names (a code decision, typically on a classifier's output). */
  route<B extends Record<string, Step<Out, any>>>(
    select: (value: Out) => Extract<keyof B, string>,
    branches: B,
    options: { name?: string } = {},
  ): Workflow<In, OutputOf<B[keyof B]>> {
    return this.add({ kind: "route", name: options.name ?? this.autoName("route"), select, branches: branchesOf(branches) });
  }

  /** Runs named branches at once on the current value; passes on `{branch: output}`. */
  parallel<B extends Record<string, Step<Out, any>>>(
    branches: B,
    options: { name?: string } = {},
  ): Workflow<In, { [K in keyof B]: OutputOf<B[K]> }> {
    return this.add({ kind: "parallel", name: options.name ?? this.autoName("parallel"), branches: branchesOf(branches) });
  }

  /** Runs one step `n` times at once and combines the outputs. */
  vote<S, C>(options: { step: Step<Out, S>; n: number; combine: (outputs: S[]) => C; name?: string }): Workflow<In, C> {
    return this.add({ kind: "vote", name: options.name ?? this.autoName("vote"), step: options.step, n: options.n, combine: options.combine as (outputs: unknown[]) => unknown });
  }

  /**
   * A planner returns subtasks (at most `maxWorkers`); a worker runs per subtask, all at once; a
   * synthesizer joins their results.
   */
  orchestrate<P, T, W, O>(options: {
    planner: Step<Out, P>;
    subtasks?: (plan: P) => T[];
    worker: Step<T, W>;
    maxWorkers: number;
    /** Results are loosely typed here (a bare `llm("join")` must fit); annotate its prompt's parameter to type them. */
    synthesizer: Step<{ input: Out; results: { task: any; output: any }[] }, O>;
    name?: string;
  }): Workflow<In, O> {
    return this.add({
      kind: "orchestrate",
      name: options.name ?? this.autoName("orchestrate"),
      planner: options.planner,
      ...(options.subtasks ? { subtasks: options.subtasks as (plan: unknown) => unknown[] } : {}),
      worker: options.worker,
      maxWorkers: options.maxWorkers,
      synthesizer: options.synthesizer,
    });
  }

  /**
   * Evaluator-optimizer: generate, evaluate, and again until `until` passes, at most `maxRounds`
   * times; passes on the last generated value.
   */
  loop<G, E>(options: {
    generate: Step<LoopRound<Out, G, E>, G>;
    evaluate: Step<G, E>;
    until: (evaluation: E, output: G) => boolean;
    maxRounds: number;
    name?: string;
  }): Workflow<In, G> {
    return this.add({
      kind: "loop",
      name: options.name ?? this.autoName("loop"),
      generate: options.generate,
      evaluate: options.evaluate,
      until: options.until as (evaluation: unknown, output: unknown) => boolean,
      maxRounds: options.maxRounds,
    });
  }

  /** The definition the runtime runs; checks names and maxima, so a broken definition fails at start. */
  definition(): WorkflowDefinition {
    const { name, description, input, origin } = this.head;
    const root: ChainNode = { kind: "chain", name: "", steps: [...this.steps] };
    const problems = structureProblems(root);
    const parsedName = WorkflowName.safeParse(name);
    if (!parsedName.success) problems.unshift(`name: ${parsedName.error.issues[0]?.message}`);
    if (description.trim() === "") problems.unshift("description is empty");
    if (root.steps.length === 0) problems.push("it has no steps");
    if (problems.length > 0) throw new ConfigurationError(`workflow "${name}" (${origin}): ${problems.join("; ")}`);
    return { name, description, input, root, version: versionOf(name, description, input, root), origin };
  }

  private add<O>(node: Node): Workflow<In, O> {
    return new Workflow<In, O>(this.head, [...this.steps, node]);
  }

  private autoName(kind: string): string {
    const taken = new Set(this.steps.map((step) => step.name));
    if (!taken.has(kind)) return kind;
    let index = 2;
    while (taken.has(`${kind}-${index}`)) index += 1;
    return `${kind}-${index}`;
  }
}

/** Starts a workflow; its steps are added with the builder's methods. */
export function defineWorkflow<S extends z.ZodObject>(options: {
  name: string;
  description: string;
  input: S;
  origin?: string;
}): Workflow<z.output<S>, z.output<S>> {
  return new Workflow({ ...options, origin: options.origin ?? "code" }, []);
}

function branchesOf(branches: Record<string, Step>): Record<string, ChainNode> {
  return Object.fromEntries(Object.entries(branches).map(([key, step]) => [key, branch(key, step)]));
}

const StepName = /^[a-z][a-z0-9_-]{0,47}$/;

/** Names, maxima and counts, checked everywhere in the tree; returned as `path: reason`. */
export function structureProblems(root: ChainNode): string[] {
  const problems: string[] = [];
  const visit = (node: Node, path: string) => {
    const where = path || "(top)";
    const positive = (value: number, field: string, max: number) => {
      if (!Number.isInteger(value) || value < 1 || value > max) problems.push(`${where}: ${field} must be a whole number from 1 to ${max} (got ${value})`);
    };
    const children = (nodes: Node[]) => {
      const seen = new Set<string>();
      for (const child of nodes) {
        if (!StepName.test(child.name)) problems.push(`${where}: step name "${child.name}" must be 1–48 lowercase letters, digits, '-' or '_'`);
        if (seen.has(child.name)) problems.push(`${where}: two steps are named "${child.name}"`);
        seen.add(child.name);
        visit(child, path ? `${path}/${child.name}` : child.name);
      }
    };
    switch (node.kind) {
      case "chain":
        if (path && node.steps.length === 0) problems.push(`${where}: a branch needs at least one step`);
        children(node.steps);
        break;
      case "route":
      case "parallel":
        if (Object.keys(node.branches).length === 0) problems.push(`${where}: needs at least one branch`);
        children(Object.values(node.branches));
        break;
      case "vote":
        positive(node.n, "n", 16);
        children([node.step]);
        break;
      case "orchestrate":
        positive(node.maxWorkers, "maxWorkers", 32);
        children([node.planner, node.worker, node.synthesizer]);
        break;
      case "loop":
        positive(node.maxRounds, "maxRounds", 20);
        children([node.generate, node.evaluate]);
        break;
      case "code":
        if (!Number.isInteger(node.modelCalls) || node.modelCalls < 0) problems.push(`${where}: modelCalls must be a whole number ≥ 0`);
        break;
      default:
        break;
    }
  };
  visit(root, "");
  return problems;
}

/** The step found at `path` ("route/damaged/lookup_order"), or undefined. */
export function nodeAt(root: ChainNode, path: string): Node | undefined {
  let node: Node | undefined = root;
  for (const name of path.split("/")) {
    node = node ? childrenOf(node).find((child) => child.name === name) : undefined;
  }
  return node;
}

export function childrenOf(node: Node): Node[] {
  switch (node.kind) {
    case "chain":
      return node.steps;
    case "route":
    case "parallel":
      return Object.values(node.branches);
    case "vote":
      return [node.step];
    case "orchestrate":
      return [node.planner, node.worker, node.synthesizer];
    case "loop":
      return [node.generate, node.evaluate];
    default:
      return [];
  }
}

function versionOf(name: string, description: string, input: z.ZodObject, root: ChainNode): string {
  const text = JSON.stringify({ name, description, input: z.toJSONSchema(input), root }, (_key, value: unknown) => {
    if (typeof value === "function") return `fn:${value.toString()}`;
    if (value instanceof z.ZodType) return z.toJSONSchema(value);
    return value;
  });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
