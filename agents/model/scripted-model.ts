import OpenAI from "openai";
import type { ChatCompletionCreateParams } from "openai/resources/chat/completions";
import { createChatCompletionsFetch, type ModelReply } from "./chat-completions-fetch.js";
import { estimateTokens } from "./token-estimate.js";

/** What the scripted model says: text, or tool calls (arguments as an object or JSON text), or both. */
export type ScriptedReply = string | { content?: string; toolCalls?: { name: string; arguments: unknown }[] };

export interface ScriptedModel {
  /** The client to hand to the runtime: the real SDK, over the real wire protocol, in-process. */
  client: OpenAI;
  /** Every request the model received, in order. */
  requests: ChatCompletionCreateParams[];
}

/**
 * A model whose replies a test states: in order from a list, or computed from each request. The
 * SDK's request, streaming and tool-call code runs for real; only what the model says is fixed.
 * A request past the end of the list fails with a 500 naming the request, so a test that makes
 * more model calls than it scripted fails loudly.
 */
export function scriptedModel(
  script: ScriptedReply[] | ((request: ChatCompletionCreateParams, index: number) => ScriptedReply),
): ScriptedModel {
  const requests: ChatCompletionCreateParams[] = [];
  const reply = (request: ChatCompletionCreateParams): ModelReply => {
    const index = requests.length;
    requests.push(request);
    const scripted = typeof script === "function" ? script(request, index) : script[index];
    if (scripted === undefined) {
      const last = JSON.stringify(request.messages.at(-1)).slice(0, 200);
      throw new Error(`the scripted model has no reply for request ${index + 1} (it was given ${script.length}); last message: ${last}`);
    }
    const { content = null, toolCalls = [] } = typeof scripted === "string" ? { content: scripted } : scripted;
    const calls = toolCalls.map((call, position) => ({
      id: `call_${index}_${position}`,
      name: call.name,
      arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
    }));
    const prompt = estimateTokens(request.messages);
    const completion = estimateTokens(content ?? "") + (calls.length > 0 ? estimateTokens(calls) : 0);
    return { content, toolCalls: calls, usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } };
  };
  const client = new OpenAI({
    apiKey: "scripted",
    baseURL: "http://scripted.switchboard/v1",
    fetch: createChatCompletionsFetch({ delayMs: 0, reply, modelId: "scripted" }),
    // A scripted reply is never retried: each request takes the next reply.
    maxRetries: 0,
  });
  return { client, requests };
}
