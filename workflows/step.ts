import type { z } from "zod";
import type { Logger } from "../platform/logger.js";
import type { ApprovalDecision } from "../shared/events.js";

/** What a `code` step knows about where it runs. */
export interface StepContext {
  runId: string;
  conversationId: string;
  path: string;
  /** Same on every attempt of this step in this run and round: do side effects once with it. */
  idempotencyKey: string;
  log: Logger;
}

/**
 * A step as data: what it does, and the functions that build its input. `I` and `O` are the
 * types of the value the step receives and the value it passes on; they exist for the builder's
 * type checks only.
 */
export type Step<I = any, O = any> = Node & { readonly __io?: (input: I) => O };

export type InputOf<S> = S extends Step<infer I, any> ? I : never;
export type OutputOf<S> = S extends Step<any, infer O> ? O : never;

/** The loop's generator gets the loop's input, the round, and last round's output and evaluation. */
export interface LoopRound<I, G, E> {
  input: I;
  round: number;
  previous?: G;
  feedback?: E;
}

export type Node =
  | LlmNode
  | AgentNode
  | ToolNode
  | CodeNode
  | ApprovalNode
  | WorkflowNode
  | GateNode
  | ChainNode
  | RouteNode
  | ParallelNode
  | VoteNode
  | OrchestrateNode
  | LoopNode;

export interface LlmNode {
  kind: "llm";
  name: string;
  prompt?: (input: any) => string;
  system?: string;
  /** Asked of the model as a JSON Schema, and validated: the step's output. */
  output?: z.ZodType;
  model?: string;
}
export interface AgentNode {
  kind: "agent";
  name: string;
  agent: string;
  task?: (input: any) => string;
}
export interface ToolNode {
  kind: "tool";
  name: string;
  tool: string;
  args?: (input: any) => unknown;
}
export interface CodeNode {
  kind: "code";
  name: string;
  run: (input: any, context: StepContext) => unknown;
  /** Model calls the function makes, for the bound; none unless declared. */
  modelCalls: number;
}
export interface ApprovalNode {
  kind: "approval";
  name: string;
  title?: (input: any) => string;
  data?: (input: any) => unknown;
  timeoutMs?: number;
  onTimeout: ApprovalDecision;
}
export interface WorkflowNode {
  kind: "workflow";
  name: string;
  workflow: string;
  input?: (input: any) => unknown;
}
export interface GateNode {
  kind: "gate";
  name: string;
  /** True lets the value through; a string stops the chain with that reason. */
  check: (input: any) => true | string;
}
export interface ChainNode {
  kind: "chain";
  name: string;
  steps: Node[];
}
export interface RouteNode {
  kind: "route";
  name: string;
  select: (input: any) => string;
  branches: Record<string, ChainNode>;
}
export interface ParallelNode {
  kind: "parallel";
  name: string;
  branches: Record<string, ChainNode>;
}
export interface VoteNode {
  kind: "vote";
  name: string;
  step: Node;
  n: number;
  combine: (outputs: any[]) => unknown;
}
export interface OrchestrateNode {
  kind: "orchestrate";
  name: string;
  planner: Node;
  /** The subtasks in the planner's output; default: the output itself, or its `subtasks`. */
  subtasks?: (plan: any) => unknown[];
  worker: Node;
  maxWorkers: number;
  /** Gets `{input, results: [{task, output}]}`. */
  synthesizer: Node;
}
export interface LoopNode {
  kind: "loop";
  name: string;
  generate: Node;
  evaluate: Node;
  until: (evaluation: any, output: any) => boolean;
  maxRounds: number;
}

type Duration = `${number}${"s" | "m" | "h" | "d"}` | number;

/** One model call; with `output`, its answer is JSON valid against that schema. */
export function llm<I = unknown, O = string>(
  name: string,
  options: { prompt?: (input: I) => string; system?: string; output?: z.ZodType<O>; model?: string } = {},
): Step<I, O> {
  return { kind: "llm", name, ...options } as LlmNode;
}

/** One run of a team member (its handoffs and guards included); passes on its answer. */
export function agent<I = unknown>(name: string, options: { agent?: string; task?: (input: I) => string } = {}): Step<I, string> {
  return { kind: "agent", name, agent: options.agent ?? name, ...(options.task ? { task: options.task } : {}) } as AgentNode;
}

/** A registered tool, no model call; its arguments are the input unless `args` builds them. */
export function tool<I = unknown, O = unknown>(name: string, options: { tool?: string; args?: (input: I) => unknown } = {}): Step<I, O> {
  return { kind: "tool", name, tool: options.tool ?? name, ...(options.args ? { args: options.args } : {}) } as ToolNode;
}

/** A function of yours; no model call unless it declares how many it makes. */
export function code<I = unknown, O = unknown>(
  name: string,
  run: (input: I, context: StepContext) => O | Promise<O>,
  options: { modelCalls?: number } = {},
): Step<I, Awaited<O>> {
  return { kind: "code", name, run, modelCalls: options.modelCalls ?? 0 } as CodeNode;
}

/** A person decides; the value passes through when approved, and a rejection stops the workflow. */
export function approval<I = unknown>(
  name: string,
  options: { title?: (input: I) => string; data?: (input: I) => unknown; timeout?: Duration; onTimeout?: ApprovalDecision } = {},
): Step<I, I> {
  return {
    kind: "approval",
    name,
    ...(options.title ? { title: options.title } : {}),
    ...(options.data ? { data: options.data } : {}),
    ...(options.timeout !== undefined ? { timeoutMs: durationMs(options.timeout) } : {}),
    onTimeout: options.onTimeout ?? "reject",
  } as ApprovalNode;
}

/** A workflow run as a step; passes on that workflow's output. */
export function workflow<I = unknown, O = unknown>(name: string, options: { workflow?: string; input?: (input: I) => unknown } = {}): Step<I, O> {
  return { kind: "workflow", name, workflow: options.workflow ?? name, ...(options.input ? { input: options.input } : {}) } as WorkflowNode;
}

/** A code check in a chain: `true` lets the value through, a string stops the chain with that reason. */
export function gate<I = unknown>(name: string, check: (input: I) => true | string): Step<I, I> {
  return { kind: "gate", name, check } as GateNode;
}

type Last<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L : never;

/** Steps in order, each output feeding the next. */
export function chain<S extends readonly [Step, ...Step[]]>(...steps: S): Step<InputOf<S[0]>, OutputOf<Last<S>>> {
  return { kind: "chain", name: "chain", steps: [...steps] } as ChainNode;
}

/** A branch as the runtime holds it: always a chain, named by its key. */
export function branch(key: string, step: Step): ChainNode {
  return { kind: "chain", name: key, steps: step.kind === "chain" ? step.steps : [step] };
}

export function durationMs(duration: Duration): number {
  if (typeof duration === "number") return duration;
  const match = /^(\d+(?:\.\d+)?)([smhd])$/.exec(duration);
  if (!match) throw new Error(`"${duration}" is not a duration such as 30s, 15m, 2h or 2d`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}
