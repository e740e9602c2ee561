import { z } from "zod";
import { ConversationId } from "./api.js";
import { Budget, StepKind, Usage, WorkflowFailureCode } from "./events.js";

export const WORKFLOW_SUMMARY_VERSION = 1;

/** Workflow names are lowercase words, like agent names, a little longer. */
export const WorkflowName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,47}$/, "2–48 characters: lowercase letters, digits or '-', starting with a letter");

/** The name of the tool that runs `workflow` ("order-triage" → "run_order_triage"), for agents and MCP clients alike. */
export function workflowToolName(workflow: string): string {
  return `run_${workflow.replaceAll("-", "_")}`;
}

/** One box of a workflow's drawing: a step, or a pattern that holds steps (`parent` names it). */
export const GraphNode = z.object({
  /** The step's path ("start" and "end" for the two ends). */
  id: z.string(),
  kind: z.union([StepKind, z.enum(["start", "end"])]),
  label: z.string(),
  /** The pattern node this one sits in. */
  parent: z.string().optional(),
  /** A short note: the agent or tool it uses, a maximum ("≤ 3 rounds"), a timeout. */
  detail: z.string().optional(),
});
export type GraphNode = z.infer<typeof GraphNode>;

export const GraphEdge = z.object({
  from: z.string(),
  to: z.string(),
  /** A route's branch name, a loop's condition. */
  label: z.string().optional(),
  /** A loop's way back to its generator. */
  back: z.boolean().optional(),
});
export type GraphEdge = z.infer<typeof GraphEdge>;

export const WorkflowGraph = z.object({ nodes: z.array(GraphNode), edges: z.array(GraphEdge) });
export type WorkflowGraph = z.infer<typeof WorkflowGraph>;

/** What the registry holds of a workflow, for servers and clients: everything but its code. */
export const WorkflowSummary = z.object({
  v: z.literal(WORKFLOW_SUMMARY_VERSION),
  name: WorkflowName,
  description: z.string(),
  /** Hash of the definition; a run is pinned to the version it started on. */
  version: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  graph: WorkflowGraph,
  budget: Budget,
  source: z.enum(["code", "catalog"]),
  /** For catalog workflows, the file it came from. */
  origin: z.string().optional(),
  updatedAt: z.string(),
});
export type WorkflowSummary = z.infer<typeof WorkflowSummary>;

export const WorkflowRunStatus = z.enum(["running", "waiting", "completed", "failed", "cancelled"]);
export type WorkflowRunStatus = z.infer<typeof WorkflowRunStatus>;

/** One step of a run as far as it went; a step inside a loop has one entry per round. */
export const StepView = z.object({
  path: z.string(),
  kind: StepKind,
  round: z.number().int().positive().optional(),
  status: z.enum(["started", "completed", "failed", "skipped"]),
  startedAt: z.string().optional(),
  latencyMs: z.number().nonnegative().optional(),
  output: z.unknown().optional(),
  error: z.string().optional(),
  usage: Usage.optional(),
  modelCalls: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
});
export type StepView = z.infer<typeof StepView>;

/** `GET /api/workflow-runs/:runId`: status, steps so far, model calls used against the bound. */
export const WorkflowRunView = z.object({
  runId: z.string(),
  workflow: z.string(),
  version: z.string(),
  conversationId: z.string(),
  owner: z.string(),
  status: WorkflowRunStatus,
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  input: z.unknown(),
  output: z.unknown().optional(),
  error: z.object({ code: WorkflowFailureCode, reason: z.string(), path: z.string().optional() }).optional(),
  stopped: z.object({ path: z.string(), reason: z.string() }).optional(),
  /** The approval the run waits for, while it waits. */
  waitingFor: z.string().optional(),
  modelCalls: z.number().int().nonnegative(),
  budget: Budget,
  usage: Usage,
  costUsd: z.number().nonnegative(),
  steps: z.array(StepView),
});
export type WorkflowRunView = z.infer<typeof WorkflowRunView>;

/** A line of `GET /api/workflow-runs`. */
export const WorkflowRunLine = WorkflowRunView.pick({
  runId: true,
  workflow: true,
  conversationId: true,
  status: true,
  startedAt: true,
  finishedAt: true,
  modelCalls: true,
  budget: true,
});
export type WorkflowRunLine = z.infer<typeof WorkflowRunLine>;

/** `POST /api/workflows/:name/runs`; `input` is checked against the workflow's input schema. */
export const StartWorkflowRunBody = z
  .object({
    input: z.unknown(),
    /** Run it in this conversation (yours); absent, a new conversation is created for it. */
    conversationId: ConversationId.optional(),
  })
  .strict();
export type StartWorkflowRunBody = z.infer<typeof StartWorkflowRunBody>;
