import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { Usage } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import { RECORDED_STEP_VERSION, RecordedStep, type RecordedMessage, type RecordedToolCall } from "../shared/run-steps.js";
import type { Write } from "./conversation-log.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";

/** Longest text kept of one message or answer; the rest is cut and the record says how much. */
export const MESSAGE_CHARS = 8_000;
/**
 * Largest serialized step record. A run sends its whole history every step, so a long run would
 * otherwise store it again and again: past this, messages from the middle of the request are left
 * out (the system message and the newest are kept). One run holds at most SWITCHBOARD_MAX_STEPS
 * (≤ 100) of them.
 */
export const STEP_RECORD_BYTES = 64 * 1024;

/** What one model step was sent and answered, as the agent loop knows it. */
export interface ModelStepInput {
  step: number;
  model: string;
  latencyMs: number;
  messages: readonly ChatCompletionMessageParam[];
  tools: readonly string[];
  answer: { text: string; toolCalls: readonly RecordedToolCall[]; finishReason: string; usage: Usage };
}

/** The record of one model step, cut to the size limits. Pure. */
export function recordStep(input: ModelStepInput, at = new Date()): RecordedStep {
  const answer = cut(input.answer.text);
  const record: RecordedStep = {
    v: RECORDED_STEP_VERSION,
    step: input.step,
    at: at.toISOString(),
    model: input.model,
    latencyMs: input.latencyMs,
    sent: { messages: input.messages.map(recordMessage), omittedMessages: 0, tools: [...input.tools] },
    answer: {
      text: answer.text,
      ...(answer.truncatedChars > 0 ? { truncatedChars: answer.truncatedChars } : {}),
      toolCalls: input.answer.toolCalls.map((call) => ({ ...call, arguments: cut(call.arguments).text })),
      finishReason: input.answer.finishReason,
      usage: input.answer.usage,
    },
  };
  // Drops the oldest message after the first until the record fits (or only the first and last remain).
  while (Buffer.byteLength(JSON.stringify(record)) > STEP_RECORD_BYTES && record.sent.messages.length > 2) {
    record.sent.messages.splice(1, 1);
    record.sent.omittedMessages += 1;
  }
  return record;
}

function cut(text: string): { text: string; truncatedChars: number } {
  if (text.length <= MESSAGE_CHARS) return { text, truncatedChars: 0 };
  return { text: text.slice(0, MESSAGE_CHARS), truncatedChars: text.length - MESSAGE_CHARS };
}

function recordMessage(message: ChatCompletionMessageParam): RecordedMessage {
  const content = cut(textOf(message.content));
  const calls = message.role === "assistant" ? (message.tool_calls ?? []) : [];
  return {
    role: message.role,
    content: content.text,
    ...(content.truncatedChars > 0 ? { truncatedChars: content.truncatedChars } : {}),
    ...(calls.length > 0
      ? { toolCalls: calls.flatMap((call) => (call.type === "function" ? [{ id: call.id, name: call.function.name, arguments: cut(call.function.arguments).text }] : [])) }
      : {}),
    ...(message.role === "tool" ? { toolCallId: message.tool_call_id } : {}),
  };
}

/** Message content is text or a list of parts; the record keeps the text of each part. */
function textOf(content: ChatCompletionMessageParam["content"]): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((part) => ("text" in part ? part.text : `[${part.type}]`)).join("\n");
}

/**
 * The recorded model steps of agent runs: one hash per run beside its checkpoint (same hash tag,
 * same slot), one field per step number, so a step recorded twice (a retry) is still one entry.
 * The agent loop writes a step in the script that checkpoints it (one round trip), and the hash
 * expires with the checkpoint when the run finishes.
 */
export class RunSteps {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly log?: Logger,
  ) {}

  /** The writing of `step`, made with the run's checkpoint. */
  static write(keys: Keys, conversationId: string, runId: string, step: RecordedStep): Write {
    return { op: "hset", key: keys.runSteps(conversationId, runId), field: String(step.step), value: JSON.stringify(step) };
  }

  /** The expiry of a finished run's steps, with its checkpoint's. */
  static expire(keys: Keys, conversationId: string, runId: string, seconds: number): Write {
    return { op: "expire", key: keys.runSteps(conversationId, runId), seconds };
  }

  /** The run's recorded steps in order; a step whose record does not parse is left out (and logged). */
  async list(conversationId: string, runId: string): Promise<RecordedStep[]> {
    const fields = await this.redis.hgetall(this.keys.runSteps(conversationId, runId));
    const steps: RecordedStep[] = [];
    for (const raw of Object.values(fields)) {
      const parsed = RecordedStep.safeParse(safeJson(raw));
      if (parsed.success) steps.push(parsed.data);
      else this.log?.warn({ conversationId, runId }, "skipped a recorded step that does not parse");
    }
    return steps.sort((a, b) => a.step - b.step);
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
