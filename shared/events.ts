import { z } from "zod";
import { AgentName } from "./agent-name.js";

/** Version written into every stored event; readers refuse versions they do not know. */
export const EVENT_SCHEMA_VERSION = 1;

export const Usage = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof Usage>;

/** One model call of a run, as the run timeline shows it. */
export const StepRecord = z.object({
  step: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
  usage: Usage,
  costUsd: z.number().nonnegative(),
  tools: z.array(z.string()),
});
export type StepRecord = z.infer<typeof StepRecord>;

export const HandoffMode = z.enum(["transfer", "delegate"]);
export type HandoffMode = z.infer<typeof HandoffMode>;

export const RunFailureCode = z.enum([
  "step_limit",
  "token_budget",
  "model_error",
  "agent_unavailable",
  /** A remote (A2A) agent could not be reached, failed its task, or took too long. */
  "remote_agent",
  "internal",
]);

/** Why a workflow run ended without an output. */
export const WorkflowFailureCode = z.enum([
  "step_failed",
  "invalid_output",
  "definition_changed",
  "unknown_branch",
  "too_many_subtasks",
  "cancelled",
  "internal",
]);
export type WorkflowFailureCode = z.infer<typeof WorkflowFailureCode>;

/** Model calls a workflow may make: known before it runs. */
export const Budget = z.object({
  modelCalls: z.object({ min: z.number().int().nonnegative(), max: z.number().int().nonnegative() }),
  approvals: z.number().int().nonnegative(),
  agentRuns: z.number().int().nonnegative(),
  /** Paths of steps whose model calls cannot be bounded (a sub-workflow that is not known). */
  unboundedSteps: z.array(z.string()),
});
export type Budget = z.infer<typeof Budget>;

export const StepKind = z.enum([
  "llm",
  "agent",
  "tool",
  "code",
  "approval",
  "workflow",
  "chain",
  "gate",
  "route",
  "parallel",
  "vote",
  "orchestrate",
  "loop",
]);
export type StepKind = z.infer<typeof StepKind>;

export const ApprovalDecision = z.enum(["approve", "reject"]);
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;
export type RunFailureCode = z.infer<typeof RunFailureCode>;

const envelope = {
  /** Stream id of the entry: the cursor a client resumes from. */
  id: z.string(),
  conversationId: z.string(),
  /** ISO-8601 time the event was produced. */
  at: z.string(),
  agent: AgentName.optional(),
  runId: z.string().optional(),
};

export const MessageUserEvent = z.object({
  ...envelope,
  type: z.literal("message.user"),
  data: z.object({
    text: z.string(),
    clientMsgId: z.string().optional(),
    /**
     * Set on a retried or edited message: the id of the user message it replaces. That message,
     * the turn it started and everything after it up to this one stay in the log, shown as replaced,
     * and are left out of the model's context from here on.
     */
    replaces: z.string().optional(),
    /** `retry`: the same text again; `edit`: new text. Present exactly when `replaces` is. */
    mode: z.enum(["retry", "edit"]).optional(),
  }),
});

export const MessageAgentEvent = z.object({
  ...envelope,
  type: z.literal("message.agent"),
  data: z.object({ text: z.string() }),
});

export const HandoffEvent = z.object({
  ...envelope,
  type: z.literal("handoff"),
  data: z.object({
    from: AgentName,
    to: AgentName,
    mode: HandoffMode,
    reason: z.string(),
    task: z.string(),
    childRunId: z.string(),
    depth: z.number().int().nonnegative(),
  }),
});

export const HandoffReturnEvent = z.object({
  ...envelope,
  type: z.literal("handoff.return"),
  data: z.object({
    from: AgentName,
    to: AgentName,
    childRunId: z.string(),
    status: z.enum(["completed", "failed"]),
    result: z.string(),
  }),
});

export const ToolCallEvent = z.object({
  ...envelope,
  type: z.literal("tool.call"),
  data: z.object({ toolCallId: z.string(), tool: z.string(), args: z.unknown() }),
});

export const ToolResultEvent = z.object({
  ...envelope,
  type: z.literal("tool.result"),
  data: z.object({
    toolCallId: z.string(),
    tool: z.string(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: z.string().optional(),
    latencyMs: z.number().nonnegative(),
  }),
});

export const RunStartedEvent = z.object({
  ...envelope,
  type: z.literal("run.started"),
  data: z.object({
    task: z.string(),
    model: z.string(),
    depth: z.number().int().nonnegative(),
    parentRunId: z.string().optional(),
    mode: z.enum(["turn", "transfer", "delegate", "workflow"]),
  }),
});

export const RunCompletedEvent = z.object({
  ...envelope,
  type: z.literal("run.completed"),
  data: z.object({
    outcome: z.enum(["answered", "transferred"]),
    usage: Usage,
    latencyMs: z.number().nonnegative(),
    costUsd: z.number().nonnegative(),
    steps: z.array(StepRecord),
  }),
});

export const RunFailedEvent = z.object({
  ...envelope,
  type: z.literal("run.failed"),
  data: z.object({
    code: RunFailureCode,
    reason: z.string(),
    usage: Usage,
    latencyMs: z.number().nonnegative(),
    costUsd: z.number().nonnegative(),
    steps: z.array(StepRecord),
  }),
});

/**
 * A person stopped the turn this run belonged to: the run ended there, without an answer (never
 * `run.completed` as well). What its model had streamed of an unfinished step is kept as
 * `partialText`, to be shown as stopped, never as an answer.
 */
export const RunCancelledEvent = z.object({
  ...envelope,
  type: z.literal("run.cancelled"),
  data: z.object({
    /** The user who stopped the turn. */
    by: z.string(),
    reason: z.string(),
    partialText: z.string().optional(),
    usage: Usage,
    latencyMs: z.number().nonnegative(),
    costUsd: z.number().nonnegative(),
    steps: z.array(StepRecord),
  }),
});

/**
 * The run's model has not sent its first token for a while: live status, so the person waiting
 * knows why nothing appears. The run goes on; it fails if SWITCHBOARD_MODEL_FIRST_TOKEN_MS passes.
 */
export const RunSlowEvent = z.object({
  ...envelope,
  type: z.literal("run.slow"),
  data: z.object({
    /** The model step (0-based) that is waiting. */
    step: z.number().int().nonnegative(),
    /** How long the step had waited when this was logged. */
    waitedMs: z.number().nonnegative(),
    message: z.string(),
  }),
});

/**
 * A model step's stream was cut or stalled mid-answer and the step runs again. What was streamed
 * of the failed attempt is replaced by the next attempt's answer; it is kept here so a reader sees
 * what was withdrawn.
 */
export const RunRetryingEvent = z.object({
  ...envelope,
  type: z.literal("run.retrying"),
  data: z.object({
    step: z.number().int().nonnegative(),
    /** The attempt that starts now (2 is the first retry); deltas carry the same number. */
    attempt: z.number().int().min(2),
    maxAttempts: z.number().int().min(2),
    reason: z.string(),
    /** The text the failed attempt had streamed (the start of it, if long); empty if none. */
    replacedText: z.string(),
  }),
});

/** A person is asked to decide; the run waits (no worker held) until someone does or the timeout applies the default. */
export const ApprovalRequestedEvent = z.object({
  ...envelope,
  type: z.literal("approval.requested"),
  data: z.object({
    approvalId: z.string(),
    /** A workflow's approval step, or an agent's call of a tool marked `needsApproval`. */
    kind: z.enum(["workflow", "tool"]),
    /** What is asked, in a line. */
    title: z.string(),
    /** The data to judge: the step's input, or the tool call's arguments. */
    data: z.unknown().optional(),
    workflow: z.string().optional(),
    path: z.string().optional(),
    tool: z.string().optional(),
    /** ISO time after which `onTimeout` applies; absent: no timeout. */
    timeoutAt: z.string().optional(),
    onTimeout: ApprovalDecision,
  }),
});

export const ApprovalResolvedEvent = z.object({
  ...envelope,
  type: z.literal("approval.resolved"),
  data: z.object({
    approvalId: z.string(),
    decision: ApprovalDecision,
    /** The user who decided, or "timeout". */
    by: z.string(),
    comment: z.string().optional(),
  }),
});

const WorkflowTotals = {
  workflow: z.string(),
  modelCalls: z.number().int().nonnegative(),
  budget: Budget,
  usage: Usage,
  costUsd: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
};

export const WorkflowStartedEvent = z.object({
  ...envelope,
  type: z.literal("workflow.started"),
  data: z.object({
    workflow: z.string(),
    /** Hash of the definition the run is pinned to. */
    version: z.string(),
    input: z.unknown(),
    budget: Budget,
    /** The agent run that started this workflow as a tool, if any. */
    parentRunId: z.string().optional(),
  }),
});

export const WorkflowStepEvent = z.object({
  ...envelope,
  type: z.literal("workflow.step"),
  data: z.object({
    workflow: z.string(),
    /** Step names from the top, joined by "/": unique within the workflow. */
    path: z.string(),
    kind: StepKind,
    status: z.enum(["started", "completed", "failed", "skipped"]),
    /** Loop round (1-based) for steps inside a loop. */
    round: z.number().int().positive().optional(),
    output: z.unknown().optional(),
    error: z.string().optional(),
    usage: Usage.optional(),
    modelCalls: z.number().int().nonnegative().optional(),
    latencyMs: z.number().nonnegative().optional(),
    costUsd: z.number().nonnegative().optional(),
    /** The model an llm step called, so a cost of nothing can say it ran on the offline model. */
    model: z.string().optional(),
  }),
});

export const WorkflowCompletedEvent = z.object({
  ...envelope,
  type: z.literal("workflow.completed"),
  data: z.object({
    ...WorkflowTotals,
    /** Absent when a gate or a rejection stopped the run. */
    output: z.unknown().optional(),
    /** Set when a gate stopped the chain early: where, and why. */
    stopped: z.object({ path: z.string(), reason: z.string() }).optional(),
  }),
});

export const WorkflowFailedEvent = z.object({
  ...envelope,
  type: z.literal("workflow.failed"),
  data: z.object({ ...WorkflowTotals, code: WorkflowFailureCode, reason: z.string(), path: z.string().optional() }),
});

/** Everything a conversation shows, one discriminated union keyed by `type`. */
export const Event = z.discriminatedUnion("type", [
  MessageUserEvent,
  MessageAgentEvent,
  HandoffEvent,
  HandoffReturnEvent,
  ToolCallEvent,
  ToolResultEvent,
  RunStartedEvent,
  RunCompletedEvent,
  RunFailedEvent,
  RunCancelledEvent,
  RunSlowEvent,
  RunRetryingEvent,
  ApprovalRequestedEvent,
  ApprovalResolvedEvent,
  WorkflowStartedEvent,
  WorkflowStepEvent,
  WorkflowCompletedEvent,
  WorkflowFailedEvent,
]);
export type Event = z.infer<typeof Event>;
export type EventType = Event["type"];
export type EventOf<T extends EventType> = Extract<Event, { type: T }>;

/** What a producer hands to the log: the log assigns `id` and knows `conversationId`. */
export type NewEvent = {
  [T in EventType]: Omit<EventOf<T>, "id" | "conversationId" | "at"> & { at?: string };
}[EventType];

/** A streamed piece of an agent's answer; live only, never stored. */
export const MessageDelta = z.object({
  conversationId: z.string(),
  runId: z.string(),
  agent: AgentName,
  text: z.string(),
  /** The model step's attempt (absent: the first); text of an earlier attempt is replaced. */
  attempt: z.number().int().min(2).optional(),
  /**
   * The delta's place among its run's deltas (1, 2, …), so a client joins the run's text kept for
   * it (`StreamedText.seq`) with the deltas after it: one at or below that number is already in.
   * Absent from a publisher older than this field.
   */
  seq: z.number().int().positive().optional(),
});
export type MessageDelta = z.infer<typeof MessageDelta>;
