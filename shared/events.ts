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
  "internal",
]);
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
  data: z.object({ text: z.string(), clientMsgId: z.string().optional() }),
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
    mode: z.enum(["turn", "transfer", "delegate"]),
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

export const ApprovalRequestedEvent = z.object({
  ...envelope,
  type: z.literal("approval.requested"),
  data: z.object({ approvalId: z.string(), tool: z.string(), args: z.unknown(), reason: z.string() }),
});

export const ApprovalResolvedEvent = z.object({
  ...envelope,
  type: z.literal("approval.resolved"),
  data: z.object({ approvalId: z.string(), approved: z.boolean() }),
});

export const WorkflowStepEvent = z.object({
  ...envelope,
  type: z.literal("workflow.step"),
  data: z.object({
    workflow: z.string(),
    step: z.string(),
    status: z.enum(["started", "completed", "failed"]),
    detail: z.string().optional(),
  }),
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
  ApprovalRequestedEvent,
  ApprovalResolvedEvent,
  WorkflowStepEvent,
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
});
export type MessageDelta = z.infer<typeof MessageDelta>;
