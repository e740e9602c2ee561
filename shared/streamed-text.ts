import { z } from "zod";
import { AgentName } from "./agent-name.js";

/**
 * The text a run has streamed so far and not yet logged, as Redis keeps it for a client that joins
 * mid-answer (the `conversation:join` acknowledgement carries one per run that is streaming). A
 * client shows `text` and then applies the run's deltas whose `seq` is above this one's.
 */
export const StreamedText = z.object({
  runId: z.string(),
  agent: AgentName,
  text: z.string(),
  /** The model step's attempt the text belongs to (absent: the first), as on `MessageDelta`. */
  attempt: z.number().int().min(2).optional(),
  /** The `seq` of the last delta the text includes. */
  seq: z.number().int().positive(),
  /**
   * The run's logged event the text follows: its previous message, or the notice that its step runs
   * again. Absent when the text is the run's first. A client that receives that event after the
   * text keeps the text: it is what came next, not what the event already holds.
   */
  after: z.string().optional(),
});
export type StreamedText = z.infer<typeof StreamedText>;
