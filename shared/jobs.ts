import { z } from "zod";

/** The queue workflow runs and their branches go to; not a valid agent name, so never an agent's queue. */
export const WORKFLOWS_QUEUE = "_workflows";

/** What an agent's job carries: enough to start its run; everything learned later lives in the checkpoint. */
export const TurnJob = z.object({
  v: z.literal(1),
  conversationId: z.string(),
  runId: z.string(),
  agent: z.string(),
  /** `workflow`: an agent step of a workflow run, which waits for this run's answer. */
  mode: z.enum(["turn", "transfer", "delegate", "workflow"]),
  /** The request this run works on: the user's message, or the delegated task. */
  task: z.string(),
  depth: z.number().int().nonnegative(),
  /** Agents from the root run to this one; used to refuse work bouncing between two agents. */
  chain: z.array(z.string()),
  parentRunId: z.string().optional(),
  /** The user message that started the root run; history is what came before it. */
  triggerEventId: z.string().optional(),
  /** A retried or edited message's turn: the user message it replaces, whose turn and after are left out of the history. */
  replaces: z.string().optional(),
});
export type TurnJob = z.infer<typeof TurnJob>;

/** What a child run (a delegated agent run, a workflow step's agent run) hands back to its parent. */
export const ChildResult = z.object({
  runId: z.string(),
  agent: z.string(),
  status: z.enum(["completed", "failed"]),
  result: z.string(),
  /** Model calls the run made, its own and those of the runs it waited for; a workflow counts them. */
  modelCalls: z.number().int().nonnegative().default(0),
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number(), totalTokens: z.number() }).optional(),
  costUsd: z.number().nonnegative().default(0),
});
export type ChildResult = z.infer<typeof ChildResult>;

/**
 * A job of the workflows queue: a whole run (`run`), or one branch of a run's fan-out (`branch`,
 * a flow child whose return value is the branch's output).
 */
export const WorkflowJob = z.discriminatedUnion("kind", [
  z.object({
    v: z.literal(1),
    kind: z.literal("run"),
    runId: z.string(),
    conversationId: z.string(),
    /** Absent when an agent started the run: the conversation's owner. */
    owner: z.string().optional(),
    workflow: z.string(),
    input: z.unknown(),
    /** The agent run that started this workflow as a tool, and waits for it as a flow parent. */
    parentRunId: z.string().optional(),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal("branch"),
    /** The run this branch belongs to. */
    runId: z.string(),
    conversationId: z.string(),
    owner: z.string(),
    workflow: z.string(),
    /** The version the run is pinned to. */
    version: z.string(),
    /** Path of the step this branch runs, and the rounds it runs in (loops, and a fan-out's copies). */
    path: z.string(),
    rounds: z.array(z.number().int().positive()),
    input: z.unknown(),
  }),
]);
export type WorkflowJob = z.infer<typeof WorkflowJob>;

/** What a workflow job hands back: a run's or a branch's output, or why it failed. */
const WorkflowResultTotals = {
  runId: z.string(),
  /** Model calls made, so a caller (an agent, a parent workflow) can count them against its bound. */
  modelCalls: z.number().int().nonnegative().default(0),
  costUsd: z.number().nonnegative().default(0),
};
export const WorkflowResult = z.discriminatedUnion("status", [
  z.object({ ...WorkflowResultTotals, status: z.literal("completed"), output: z.unknown() }),
  z.object({ ...WorkflowResultTotals, status: z.literal("failed"), reason: z.string() }),
]);
export type WorkflowResult = z.infer<typeof WorkflowResult>;
