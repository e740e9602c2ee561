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

/** Where the raw detail of a failed model call goes (the agents process's logger fits). */
export interface ModelLog {
  warn(detail: Record<string, unknown>, message: string): void;
}

/** How long a model call may keep its caller waiting, and where its failures are logged. */
export interface ModelCallOptions {
  /** Time to the first token; for a call that is not streamed, to the whole answer. */
  firstTokenMs: number;
  /** Time between two pieces of a streamed answer. */
  idleMs: number;
  /** Time to the first token after which `onSlow` is told (once); the call goes on. */
  slowMs: number;
  log?: ModelLog;
}

const DEFAULT_CALL_OPTIONS: ModelCallOptions = { firstTokenMs: 60_000, idleMs: 30_000, slowMs: 10_000 };
/** What `createModelClient` was told, for the calls made with its client (any other client gets the defaults). */
const clientOptions = new WeakMap<OpenAI, ModelCallOptions>();

/** One OpenAI SDK client for every model call: a real service, any compatible server, or the offline model. */
export function createModelClient(
  model: Config["model"],
  options: { maxRetries?: number; log?: ModelLog } = {},
): OpenAI {
  const maxRetries = options.maxRetries ?? 3;
  const callOptions: ModelCallOptions = {
    firstTokenMs: model.firstTokenMs ?? DEFAULT_CALL_OPTIONS.firstTokenMs,
    idleMs: model.idleMs ?? DEFAULT_CALL_OPTIONS.idleMs,
    slowMs: model.slowMs ?? DEFAULT_CALL_OPTIONS.slowMs,
    ...(options.log ? { log: options.log } : {}),
  };
  const client = model.offline
    ? new OpenAI({
        apiKey: "offline",
        baseURL: OFFLINE_BASE_URL,
        fetch: createOfflineFetch({ delayMs: model.offlineDelayMs }),
        maxRetries,
      })
    : new OpenAI({
        // Local OpenAI-compatible servers (Ollama, vLLM, llama.cpp) accept any key.
        apiKey: model.apiKey ?? "not-needed",
        baseURL: model.baseUrl,
        maxRetries,
        // The SDK's own timeout (then retries) is a backstop: the first-token bound gives up first.
        timeout: Math.max(120_000, callOptions.firstTokenMs + 5_000),
      });
  clientOptions.set(client, callOptions);
  return client;
}

export interface ModelTurn {
  content: string;
  toolCalls: ChatCompletionMessageFunctionToolCall[];
  usage: Usage;
  latencyMs: number;
  /** Why the model stopped: `stop`, `tool_calls`, `length`, … as it said. */
  finishReason: string;
}

/**
 * One streamed model call. Text deltas go to `onDelta` as they arrive; tool-call deltas are
 * accumulated by index. The first chunk must come within `firstTokenMs` and each next one within
 * `idleMs`, or the request is aborted; `onSlow` hears when the first token is later than `slowMs`.
 * Every failure (SDK errors, a timeout, an HTML page, a stream cut or unreadable, an empty answer)
 * becomes a `RunFailure` whose message a person can act on, marked transient when the same call
 * may well succeed if made again (a stream cut or stalled mid-answer); the raw detail is on
 * `detail` and goes to the log.
 */
export async function streamModelTurn(
  client: OpenAI,
  request: { model: string; messages: ChatCompletionMessageParam[]; tools: ChatCompletionTool[]; temperature?: number; maxTokens?: number },
  onDelta: (text: string) => void,
  options: Partial<ModelCallOptions> & { onSlow?: (waitedMs: number) => void; /** Aborts the call (a person stopped the turn). */ signal?: AbortSignal } = {},
): Promise<ModelTurn> {
  const started = performance.now();
  const { signal: stopSignal, ...callOptions } = options;
  const settings = optionsFor(client, callOptions);
  const watchdog = new Watchdog(settings, options.onSlow);
  let content = "";
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  let usage: Usage | undefined;
  let finishReason: string | undefined;
  let streaming = false;
  try {
    const { data: stream, response } = await client.chat.completions
      .create(
        {
          model: request.model,
          messages: request.messages,
          ...(request.tools.length > 0 ? { tools: request.tools } : {}),
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.maxTokens !== undefined ? { max_completion_tokens: request.maxTokens } : {}),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: stopSignal ? AbortSignal.any([watchdog.signal, stopSignal]) : watchdog.signal },
      )
      .withResponse();
    const contentType = response.headers.get("content-type") ?? "";
    if (/html/i.test(contentType)) throw new UnreadableReply(htmlReason(client.baseURL), `HTTP ${response.status}, content-type ${contentType}`);
    streaming = true;
    let answered = false;
    for await (const chunk of stream) {
      watchdog.arm("idle");
      if (chunk.usage) {
        usage = {
          promptTokens: chunk.usage.prompt_tokens,
          completionTokens: chunk.usage.completion_tokens,
          totalTokens: chunk.usage.total_tokens,
        };
      }
      const choice = (chunk.choices as typeof chunk.choices | undefined)?.[0];
      if (!choice) continue;
      answered = true;
      if (choice.finish_reason) finishReason = choice.finish_reason;
      const delta = choice.delta as typeof choice.delta | undefined;
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
    // The SDK ends a stream quietly when it is aborted: a timeout is told apart here.
    watchdog.throwIfExpired();
    if (!answered) {
      throw new UnreadableReply(
        `The server at ${client.baseURL} sent no answer (a stream without choices), not what the OpenAI chat completions API sends: check OPENAI_BASE_URL (it usually ends in /v1).`,
        `HTTP ${response.status}, content-type ${contentType || "none"}, no chunk with choices`,
      );
    }
    if (finishReason === undefined) throw new StreamCut("the stream ended without a finish reason");
    if (content.trim() === "" && calls.size === 0) throw new UnreadableReply(emptyReason(client.baseURL), "a finished stream with no text and no tool calls");
  } catch (error) {
    throw failureOf(error, { watchdog, streaming, client, model: request.model, log: settings.log });
  } finally {
    watchdog.stop();
  }
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, call]) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } }));
  return {
    content,
    toolCalls,
    usage: usage ?? estimateUsage(request.messages, content, toolCalls),
    latencyMs: performance.now() - started,
    finishReason,
  };
}

export interface ModelAnswer {
  content: string;
  usage: Usage;
  latencyMs: number;
}

/**
 * One model call that is not streamed to anyone (a workflow's `llm` step). With `schema`, the model
 * is asked for JSON valid against it (`response_format: json_schema`); the caller validates. The
 * whole answer must come within `firstTokenMs`; failures are `RunFailure`s as in `streamModelTurn`.
 */
export async function completeModelCall(
  client: OpenAI,
  request: { model: string; messages: ChatCompletionMessageParam[]; schema?: { name: string; schema: Record<string, unknown> } },
  options: Partial<ModelCallOptions> = {},
): Promise<ModelAnswer> {
  const started = performance.now();
  const settings = optionsFor(client, options);
  const watchdog = new Watchdog(settings);
  try {
    const { data, response } = await client.chat.completions
      .create(
        {
          model: request.model,
          messages: request.messages,
          ...(request.schema
            ? { response_format: { type: "json_schema" as const, json_schema: { name: request.schema.name, schema: request.schema.schema, strict: true } } }
            : {}),
        },
        { signal: watchdog.signal },
      )
      .withResponse();
    watchdog.throwIfExpired();
    const contentType = response.headers.get("content-type") ?? "";
    // A body that is not JSON reaches here as text.
    const completion: unknown = data;
    const excerpt = `HTTP ${response.status}, content-type ${contentType || "none"}, body: ${bodyExcerpt(completion)}`;
    if (/html/i.test(contentType) || (typeof completion === "string" && completion.trimStart().startsWith("<"))) {
      throw new UnreadableReply(htmlReason(client.baseURL), excerpt);
    }
    const choices = typeof completion === "object" && completion !== null ? (completion as { choices?: unknown }).choices : undefined;
    const message = Array.isArray(choices) ? (choices[0] as { message?: { content?: unknown } } | undefined)?.message : undefined;
    if (!message) {
      throw new UnreadableReply(
        `The server at ${client.baseURL} answered with something that is not a chat completion (no choices): check OPENAI_BASE_URL (it usually ends in /v1).`,
        excerpt,
      );
    }
    const content = typeof message.content === "string" ? message.content : "";
    if (content.trim() === "") throw new UnreadableReply(emptyReason(client.baseURL), excerpt);
    const usage = data.usage
      ? { promptTokens: data.usage.prompt_tokens, completionTokens: data.usage.completion_tokens, totalTokens: data.usage.total_tokens }
      : estimateUsage(request.messages, content, []);
    return { content, usage, latencyMs: performance.now() - started };
  } catch (error) {
    throw failureOf(error, { watchdog, streaming: false, client, model: request.model, log: settings.log });
  } finally {
    watchdog.stop();
  }
}

/** Servers that send no usage still get counted, by the same rough rule the budget uses. */
function estimateUsage(messages: unknown, content: string, toolCalls: unknown[]): Usage {
  const promptTokens = estimateTokens(messages);
  const completionTokens = estimateTokens(content) + (toolCalls.length > 0 ? estimateTokens(toolCalls) : 0);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

function optionsFor(client: OpenAI, overrides: Partial<ModelCallOptions>): ModelCallOptions {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_CALL_OPTIONS, ...clientOptions.get(client), ...defined };
}

/** Aborts the request when the first token, or the next one, is late; says which. Tells when the first is slow. */
class Watchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private slowTimer: NodeJS.Timeout | undefined;
  private expired: { phase: "first" | "idle"; ms: number } | undefined;

  constructor(
    private readonly options: ModelCallOptions,
    onSlow?: (waitedMs: number) => void,
  ) {
    this.arm("first");
    if (onSlow && options.slowMs < options.firstTokenMs) {
      this.slowTimer = setTimeout(() => onSlow(options.slowMs), options.slowMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(phase: "first" | "idle"): void {
    clearTimeout(this.timer);
    if (phase === "idle") clearTimeout(this.slowTimer);
    const ms = phase === "first" ? this.options.firstTokenMs : this.options.idleMs;
    this.timer = setTimeout(() => {
      this.expired = { phase, ms };
      this.controller.abort();
    }, ms);
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.slowTimer);
  }

  throwIfExpired(): void {
    if (this.expired) throw new ModelTimeout(this.expired.phase, this.expired.ms);
  }
}

/** The model was too slow: the watchdog aborted the request. */
class ModelTimeout extends Error {
  override name = "ModelTimeout";
  constructor(
    readonly phase: "first" | "idle",
    readonly ms: number,
  ) {
    super(`no ${phase === "first" ? "first token" : "next token"} within ${ms} ms`);
  }
}

/** The server answered, but not with something a chat completions client can read. */
class UnreadableReply extends Error {
  override name = "UnreadableReply";
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(reason);
  }
}

/** The stream stopped before the answer was finished. */
class StreamCut extends Error {
  override name = "StreamCut";
}

function htmlReason(baseURL: string): string {
  return `The server at ${baseURL} answered with an HTML page, not the OpenAI chat completions API: check OPENAI_BASE_URL (it usually ends in /v1).`;
}

function emptyReason(baseURL: string): string {
  return `The model at ${baseURL} sent an empty answer; try again, or try another model.`;
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

/** The `RunFailure` for any error of a model call: a reason for people, the raw detail for the log. */
function failureOf(
  error: unknown,
  context: { watchdog: Watchdog; streaming: boolean; client: OpenAI; model: string; log: ModelLog | undefined },
): RunFailure {
  const { baseURL } = context.client;
  let timeout = error instanceof ModelTimeout ? error : undefined;
  if (!timeout) {
    try {
      context.watchdog.throwIfExpired();
    } catch (expired) {
      timeout = expired as ModelTimeout;
    }
  }
  let reason: string;
  let detail: string;
  // Cut or stalled mid-answer: the server was answering, so asking again is worth it.
  let transient = false;
  if (timeout) {
    transient = timeout.phase === "idle";
    reason =
      timeout.phase === "first"
        ? `The model at ${baseURL} did not answer within ${seconds(timeout.ms)} s (SWITCHBOARD_MODEL_FIRST_TOKEN_MS); it may be overloaded or still loading. Try again later.`
        : `The model at ${baseURL} stopped answering: nothing for ${seconds(timeout.ms)} s mid-answer (SWITCHBOARD_MODEL_IDLE_MS). Try again later.`;
    detail = timeout.message;
  } else if (error instanceof UnreadableReply) {
    reason = error.reason;
    detail = error.detail;
  } else if (error instanceof SyntaxError) {
    reason = `The server at ${baseURL} sent ${context.streaming ? "stream data" : "an answer"} that is not valid JSON, so it cannot be read: check OPENAI_BASE_URL (it usually ends in /v1) and that the server speaks the OpenAI chat completions API.`;
    detail = `${error.name}: ${error.message}`;
  } else if (error instanceof StreamCut || (context.streaming && !(error instanceof OpenAI.APIError))) {
    transient = true;
    reason = `The model's answer was cut off before it finished (the stream from ${baseURL} stopped mid-way); try again.`;
    detail = errorDetail(error);
  } else {
    reason = describeModelError(error, baseURL, context.model);
    detail = errorDetail(error);
  }
  context.log?.warn({ baseURL, model: context.model, reason, detail, transient }, "model call failed");
  return new RunFailure("model_error", reason, { cause: error, detail, transient });
}

/** What the log gets: the status and an excerpt of the body, or the error and its cause. */
function errorDetail(error: unknown): string {
  if (error instanceof OpenAI.APIError) {
    return `${error.constructor.name} status ${error.status ?? "none"}: ${error.message}; body: ${bodyExcerpt(error.error)}`;
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : "";
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}

function bodyExcerpt(body: unknown): string {
  const text = typeof body === "string" ? body : JSON.stringify(body) ?? String(body);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** Reasons written for the person reading the run: no status text or body from the server. */
function describeModelError(error: unknown, baseURL: string, model: string): string {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return `The model at ${baseURL} did not answer in time, even after retries.`;
  if (error instanceof OpenAI.APIConnectionError) return `Could not reach the model at ${baseURL}; check OPENAI_BASE_URL and that the server is running.`;
  if (error instanceof OpenAI.APIUserAbortError) return "The model call was cancelled.";
  if (error instanceof OpenAI.AuthenticationError) return "The model service refused the API key; check OPENAI_API_KEY.";
  if (error instanceof OpenAI.RateLimitError) return "The model service is rate limiting us (429) and kept doing so after retries; try again shortly or raise the limit.";
  if (error instanceof OpenAI.NotFoundError)
    return `The model service at ${baseURL} does not know the model "${model}" or this path (404): check SWITCHBOARD_MODEL and OPENAI_BASE_URL (it usually ends in /v1).`;
  if (error instanceof OpenAI.APIError && error.status !== undefined && error.status >= 500)
    return `The model service failed (${error.status}) after retries; try again later.`;
  if (error instanceof OpenAI.APIError && error.status !== undefined)
    return `The model service refused the request (${error.status}); the agents log has the details.`;
  if (error instanceof OpenAI.APIError) return "The model service reported an error in the middle of its answer; try again later.";
  return "The model call failed unexpectedly; the agents log has the details.";
}
