import type { Event, EventOf, EventType, StepRecord } from "../../shared/events.js";

export const CONVERSATION = "conv_12345678";

let clock = 1_700_000_000_000;

/** A stream id after every one handed out before, like the log would assign. */
export function nextId(): string {
  clock += 1;
  return `${clock}-0`;
}

type DataOf<T extends EventType> = EventOf<T>["data"];

export function event<T extends EventType>(
  type: T,
  data: DataOf<T>,
  envelope: { id?: string; agent?: string; runId?: string } = {},
): Event {
  return {
    id: envelope.id ?? nextId(),
    conversationId: CONVERSATION,
    at: "2025-01-01T00:00:00.000Z",
    type,
    data,
    ...(envelope.agent === undefined ? {} : { agent: envelope.agent }),
    ...(envelope.runId === undefined ? {} : { runId: envelope.runId }),
  } as Event;
}

export const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };
export const step = (index: number, tools: string[] = []): StepRecord => ({ step: index, latencyMs: 12, usage, costUsd: 0.0001, tools });
