import { createHash } from "node:crypto";
import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import { requestHash } from "../chat-completions-fetch.js";
import { estimateTokens } from "../token-estimate.js";
import { managerDecision } from "./manager.js";
import { reviewDraft } from "./review.js";
import { reviseDraft } from "./revision.js";
import { specialistDecision } from "./specialist.js";
import { structuredAnswer } from "./structured-output.js";
import { translationAnswer } from "./translation.js";
import { callableTools, functionTools, isHandoffTool, readConversation, type Decision } from "./turn.js";

/**
 * The offline model: a deterministic reply to a chat completions request. A request that asks for
 * a JSON schema gets JSON valid against it; a workflow's revision step gets its draft with one fix
 * (the text alone: no preamble, no note); a translation step gets its text back, untranslated,
 * under one line saying so; a manager (it has the `transfer`/`delegate` tools) routes, and a
 * specialist calls the tool that fits. Pure logic: the wire protocol lives in chat-completions-fetch.ts.
 */

export interface OfflineToolCall {
  id: string;
  name: string;
  /** JSON text, as the wire protocol carries it. */
  arguments: string;
}

export interface OfflineUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface OfflineReply {
  content: string | null;
  toolCalls: OfflineToolCall[];
  usage: OfflineUsage;
}

export function offlineReply(request: ChatCompletionCreateParams): OfflineReply {
  return toReply(request, decide(request));
}

function decide(request: ChatCompletionCreateParams): Decision {
  const conversation = readConversation(request.messages);
  // Section headers may sit in the step's instructions or in its prompt.
  const prompt = `${conversation.instructions}\n${conversation.task}`;
  const format = request.response_format;
  if (format?.type === "json_schema" && format.json_schema.schema) {
    const content = structuredAnswer(conversation.task || conversation.instructions, format.json_schema.schema, format.json_schema.name, reviewDraft(prompt));
    return { kind: "answer", content };
  }
  const tools = functionTools(request.tools);
  const direct = tools.length === 0 ? (reviseDraft(prompt) ?? translationAnswer(conversation.instructions, conversation.task)) : undefined;
  if (direct !== undefined) return { kind: "answer", content: direct };
  const callable = callableTools(tools, request.tool_choice);
  return tools.some(isHandoffTool) ? managerDecision(conversation, tools, callable) : specialistDecision(conversation, tools, callable);
}

function toReply(request: ChatCompletionCreateParams, decision: Decision): OfflineReply {
  const promptTokens = estimateTokens({ messages: request.messages, tools: request.tools ?? [] });
  if (decision.kind === "answer") {
    const completionTokens = estimateTokens(decision.content);
    return { content: decision.content, toolCalls: [], usage: usage(promptTokens, completionTokens) };
  }
  const seed = requestHash(request);
  const toolCalls = decision.calls.map((call, index) => ({
    id: `call_${createHash("sha256").update(`${seed}:${index}`).digest("hex").slice(0, 24)}`,
    name: call.name,
    arguments: JSON.stringify(call.args),
  }));
  return { content: null, toolCalls, usage: usage(promptTokens, estimateTokens(toolCalls)) };
}

function usage(prompt: number, completion: number): OfflineUsage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

