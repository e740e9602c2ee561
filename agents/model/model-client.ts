import OpenAI from "openai";
import type {
  ChatCompletionMessageParam,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import type { Config } from "../../shared/config.js";
import type { Usage } from "../../shared/events.js";
import { RunFailure } from "../errors.js";
import { createOfflineFetch } from "./offline/offline-fetch.js";
import { estimateTokens } from "./token-estimate.js";


export const OFFLINE_BASE_URL = "http://offline.switchboard/v1";

/** One OpenAI SDK client for every model call: a real service, any compatible server, or the offline model. */
export function createModelClient(model: Config["model"], options: { maxRetries?: number } = {}): OpenAI {
  const maxRetries = options.maxRetries ?? 3;
  if (model.offline) {
    return new OpenAI({
      apiKey: "offline",
      baseURL: OFFLINE_BASE_URL,
      fetch: createOfflineFetch({ delayMs: model.offlineDelayMs }),
      maxRetries,
    });
  }
  return new OpenAI({
    // Local OpenAI-compatible servers (Ollama, vLLM, llama.cpp) accept any key.
    apiKey: model.apiKey ?? "not-needed",
    baseURL: model.baseUrl,
    maxRetries,
    timeout: 120_000,
  });
}

export interface ModelTurn {
  content: string;
  toolCalls: ChatCompletionMessageFunctionToolCall[];
  usage: Usage;
  latencyMs: number;
}

/**
 * One streamed model call. Text deltas go to `onDelta` as they arrive; tool-call deltas are
 * accumulated by index. SDK errors become `RunFailure`s whose message a person can act on.
 */
export async function streamModelTurn(
  client: OpenAI,
  request: { model: string; messages: ChatCompletionMessageParam[]; tools: ChatCompletionTool[] },
  onDelta: (text: string) => void,
): Promise<ModelTurn> {
  const started = performance.now();
  let content = "";
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  let usage: Usage | undefined;
  try {
    const stream = await client.chat.completions.create({
      model: request.model,
      messages: request.messages,
      ...(request.tools.length > 0 ? { tools: request.tools } : {}),
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      if (chunk.usage) {
        usage = {
          promptTokens: chunk.usage.prompt_tokens,
          completionTokens: chunk.usage.completion_tokens,
          totalTokens: chunk.usage.total_tokens,
        };
      }
      const delta = chunk.choices[0]?.delta;
      if (!delta) continue;
      if (delta.content) {
        content += delta.content;
        onDelta(delta.content);
      }
      for (const part of delta.tool_calls ?? []) {
        const call = calls.get(part.index) ?? { id: "", name: "", arguments: "" };
        if (part.id) call.id = part.id;
        if (part.function?.name) call.name += part.function.name;
        if (part.function?.arguments) call.arguments += part.function.arguments;
        calls.set(part.index, call);
      }
    }
  } catch (error) {
    throw new RunFailure("model_error", describeModelError(error, client.baseURL), { cause: error });
  }
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, call]) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } }));
  return {
    content,
    toolCalls,
    usage: usage ?? estimateUsage(request.messages, content, toolCalls),
    latencyMs: performance.now() - started,
  };
}

export interface ModelAnswer {
  content: string;
  usage: Usage;
  latencyMs: number;
}

/**
 * One model call that is not streamed to anyone (a workflow's `llm` step). With `schema`, the model
 * is asked for JSON valid against it (`response_format: json_schema`); the caller validates.
 */
export async function completeModelCall(
  client: OpenAI,
  request: { model: string; messages: ChatCompletionMessageParam[]; schema?: { name: string; schema: Record<string, unknown> } },
): Promise<ModelAnswer> {
  const started = performance.now();
  try {
    const completion = await client.chat.completions.create({
      model: request.model,
      messages: request.messages,
      ...(request.schema
        ? { response_format: { type: "json_schema" as const, json_schema: { name: request.schema.name, schema: request.schema.schema, strict: true } } }
        : {}),
    });
    const content = completion.choices[0]?.message.content ?? "";
    const usage = completion.usage
      ? { promptTokens: completion.usage.prompt_tokens, completionTokens: completion.usage.completion_tokens, totalTokens: completion.usage.total_tokens }
      : estimateUsage(request.messages, content, []);
    return { content, usage, latencyMs: performance.now() - started };
  } catch (error) {
    throw new RunFailure("model_error", describeModelError(error, client.baseURL), { cause: error });
  }
}

/** Servers that send no usage still get counted, by the same rough rule the budget uses. */
function estimateUsage(messages: unknown, content: string, toolCalls: unknown[]): Usage {
  const promptTokens = estimateTokens(messages);
  const completionTokens = estimateTokens(content) + (toolCalls.length > 0 ? estimateTokens(toolCalls) : 0);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

function describeModelError(error: unknown, baseURL: string): string {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return `The model at ${baseURL} did not answer in time, even after retries.`;
  if (error instanceof OpenAI.APIConnectionError) return `Could not reach the model at ${baseURL}; check OPENAI_BASE_URL and that the server is running.`;
  if (error instanceof OpenAI.AuthenticationError) return "The model service refused the API key; check OPENAI_API_KEY.";
  if (error instanceof OpenAI.RateLimitError) return "The model service is rate limiting us (429) and kept doing so after retries; try again shortly or raise the limit.";
  if (error instanceof OpenAI.NotFoundError) return `The model service does not know this model or path (404): ${error.message}`;
  if (error instanceof OpenAI.APIError && error.status !== undefined && error.status >= 500)
    return `The model service failed (${error.status}) after retries: ${error.message}`;
  if (error instanceof OpenAI.APIError) return `The model service refused the request (${error.status ?? "no status"}): ${error.message}`;
  if (error instanceof Error) return `The model call failed: ${error.message}`;
  return "The model call failed.";
}
