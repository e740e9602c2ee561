import { z } from "zod";
import { Usage } from "./events.js";

/** Version written into every recorded step; readers skip versions they do not know. */
export const RECORDED_STEP_VERSION = 1;

/** Run ids are made by the runtime (`<conversation>-<event id>-d1-0`, `<workflow run>.<step>`); the pattern keeps them safe in a key. */
export const RunId = z.string().regex(/^[A-Za-z0-9_.-]{1,256}$/, "not a run id");

export const RecordedToolCall = z.object({
  id: z.string(),
  name: z.string(),
  /** The arguments as the model wrote them (JSON text, perhaps not valid). */
  arguments: z.string(),
});
export type RecordedToolCall = z.infer<typeof RecordedToolCall>;

/** One message of a model request, as text; long content is cut and says by how much. */
export const RecordedMessage = z.object({
  role: z.string(),
  content: z.string(),
  /** Characters cut from the end of `content` to keep the record small. */
  truncatedChars: z.number().int().nonnegative().optional(),
  toolCalls: z.array(RecordedToolCall).optional(),
  /** For a `tool` message: the call it answers. */
  toolCallId: z.string().optional(),
});
export type RecordedMessage = z.infer<typeof RecordedMessage>;

/** One model call of an agent run: what it was sent and what it answered. */
export const RecordedStep = z.object({
  v: z.literal(RECORDED_STEP_VERSION),
  step: z.number().int().nonnegative(),
  /** ISO-8601 time the answer was complete. */
  at: z.string(),
  model: z.string(),
  latencyMs: z.number().nonnegative(),
  sent: z.object({
    messages: z.array(RecordedMessage),
    /** Messages left out of the middle of a long request (the system message and the newest are kept). */
    omittedMessages: z.number().int().nonnegative(),
    /** The tools the model was offered, by name. */
    tools: z.array(z.string()),
  }),
  answer: z.object({
    text: z.string(),
    truncatedChars: z.number().int().nonnegative().optional(),
    toolCalls: z.array(RecordedToolCall),
    /** The model's finish reason: `stop`, `tool_calls`, `length`, … */
    finishReason: z.string(),
    usage: Usage,
  }),
});
export type RecordedStep = z.infer<typeof RecordedStep>;

/** GET /api/conversations/:id/runs/:runId/steps */
export const RunStepsResponse = z.object({
  runId: RunId,
  steps: z.array(RecordedStep),
});
export type RunStepsResponse = z.infer<typeof RunStepsResponse>;
