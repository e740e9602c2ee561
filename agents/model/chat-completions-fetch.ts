import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from "openai/resources/chat/completions";
import { z } from "zod";
import { createHash } from "node:crypto";

/**
 * The OpenAI chat completions wire protocol, served in-process for the `fetch` option of the `openai`
 * SDK: the SDK's request, SSE streaming, retry and tool-call code runs for real. What the model says
 * comes from `reply`: the offline model, or a test's scripted model.
 */

/** One reply of a model, as the wire protocol carries it. */
export interface ModelReply {
  content: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export interface ChatCompletionsFetchOptions {
  /** Wait between streamed words (and tool-argument pieces); 0 streams everything at once. */
  delayMs: number;
  /** What the model answers to a validated request. May throw to fail the request with a 500. */
  reply: (request: ChatCompletionCreateParams) => ModelReply;
  /** The model id GET /models lists; requests may name any id and get it echoed back. */
  modelId: string;
}

const ERROR_TYPE = "invalid_request_error";
const encoder = new TextEncoder();

const TextContent = z.union([z.string(), z.array(z.looseObject({ type: z.literal("text"), text: z.string() }))]);
const ToolCall = z.looseObject({
  id: z.string().min(1),
  type: z.literal("function"),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});
const Message = z.discriminatedUnion("role", [
  z.looseObject({ role: z.literal("system"), content: TextContent }),
  z.looseObject({ role: z.literal("developer"), content: TextContent }),
  z.looseObject({ role: z.literal("user"), content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })).min(1)]) }),
  z.looseObject({ role: z.literal("assistant"), content: TextContent.nullish(), tool_calls: z.array(ToolCall).optional() }),
  z.looseObject({ role: z.literal("tool"), content: TextContent, tool_call_id: z.string().min(1) }),
]);
const FunctionTool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '_' or '-'"),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});
const ChatRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  tools: z.array(FunctionTool).optional(),
  tool_choice: z
    .union([
      z.enum(["none", "auto", "required"]),
      z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
    ])
    .optional(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  n: z.literal(1, { error: "this model returns one choice; n must be 1" }).nullish(),
});

export function createChatCompletionsFetch(options: ChatCompletionsFetchOptions): typeof fetch {
  const delayMs = Math.max(0, options.delayMs);
  return async (input, init) => {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined;
    throwIfAborted(signal);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const path = url.pathname.replace(/\/+$/, "");
    if (path.endsWith("/chat/completions")) {
      if (method !== "POST") return errorResponse(405, `Use POST for ${url.pathname}.`, null, "method_not_allowed");
      const body = await readBody(input, init);
      throwIfAborted(signal);
      return chatCompletions(body, delayMs, signal, options.reply);
    }
    const modelPath = /\/models(?:\/([^/]+))?$/.exec(path);
    if (modelPath && method === "GET") return modelsResponse(modelPath[1], options.modelId);
    return errorResponse(404, `Unknown path: ${method} ${url.pathname}. This model serves POST /chat/completions and GET /models.`, null, "unknown_url");
  };
}

// ——— chat completions ———

function chatCompletions(
  body: string,
  delayMs: number,
  signal: AbortSignal | undefined,
  answer: ChatCompletionsFetchOptions["reply"],
): Response {
  const parsed = parseRequest(body);
  if ("error" in parsed) return parsed.error;
  const request = parsed.request;
  let reply: ModelReply;
  try {
    reply = answer(request);
  } catch (error) {
    return errorResponse(500, error instanceof Error ? error.message : String(error), null, "server_error");
  }
  const base = {
    id: `chatcmpl-${requestHash(request).slice(0, 24)}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    system_fingerprint: "switchboard",
  };
  const headers = { "x-request-id": `req_${base.id.slice(9)}` };
  if (!request.stream) return json(200, completionObject(base, reply), headers);
  const includeUsage = request.stream_options?.include_usage === true;
  const events = streamEvents(base, reply, includeUsage);
  return new Response(delayMs === 0 ? events.map((event) => event.data).join("") : pacedStream(events, delayMs, signal), {
    status: 200,
    headers: { ...headers, "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

type ParsedRequest = { request: ChatCompletionCreateParams } | { error: Response };

function parseRequest(body: string): ParsedRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { error: errorResponse(400, "The request body is not valid JSON.", null, "invalid_json") };
  }
  const result = ChatRequest.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const param = issue ? paramPath(issue.path) : null;
    const message = issue ? `Invalid value for '${param ?? "body"}': ${issue.message}` : "Invalid request.";
    return { error: errorResponse(400, message, param, issue?.code ?? "invalid_value") };
  }
  const pairing = toolPairingProblem(result.data.messages);
  if (pairing) return { error: errorResponse(400, pairing.message, pairing.param, "invalid_tool_messages") };
  // Validated above for every field a reply reads; the rest passes through untouched.
  return { request: raw as ChatCompletionCreateParams };
}

/**
 * As the OpenAI API requires: every tool message answers a call of the assistant message before it,
 * and every call is answered before the conversation goes on.
 */
function toolPairingProblem(messages: z.infer<typeof Message>[]): { message: string; param: string } | undefined {
  let open = new Set<string>();
  for (const [index, message] of messages.entries()) {
    if (message.role === "tool") {
      if (!open.delete(message.tool_call_id)) {
        return {
          message: `messages[${index}]: a 'tool' message must answer a tool call of the preceding assistant message; '${message.tool_call_id}' is not one.`,
          param: `messages[${index}].tool_call_id`,
        };
      }
      continue;
    }
    if (open.size > 0) {
      return {
        message: `messages[${index}]: an assistant message with 'tool_calls' must be followed by tool messages answering each call; missing: ${[...open].join(", ")}.`,
        param: `messages[${index}]`,
      };
    }
    open = new Set(message.role === "assistant" ? (message.tool_calls ?? []).map((call) => call.id) : []);
  }
  return undefined;
}

function completionObject(base: ResponseBase, reply: ModelReply): ChatCompletion {
  const toolCalls = reply.toolCalls.map((call) => ({
    id: call.id,
    type: "function" as const,
    function: { name: call.name, arguments: call.arguments },
  }));
  return {
    ...base,
    object: "chat.completion",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: reply.content, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop",
        logprobs: null,
      },
    ],
    usage: reply.usage,
  };
}

// ——— streaming ———

interface ResponseBase {
  id: string;
  created: number;
  model: string;
  system_fingerprint: string;
}

interface StreamEvent {
  /** One SSE event, ready to send. */
  data: string;
  /** Whether generating it "takes" a delay: words and argument pieces do, bookkeeping does not. */
  paced: boolean;
}

/**
 * The SSE events of one reply: one chunk per word (spaces kept, so the chunks concatenate to the
 * content exactly) or, for tool calls, a first delta with id and name then argument pieces; a chunk
 * with the finish reason; the usage chunk when asked for; `[DONE]`.
 */
function streamEvents(base: ResponseBase, reply: ModelReply, includeUsage: boolean): StreamEvent[] {
  const chunk = (choices: ChatCompletionChunk.Choice[], usage?: ChatCompletionChunk["usage"]): string => {
    const value: ChatCompletionChunk = { ...base, object: "chat.completion.chunk", choices, ...(includeUsage ? { usage: usage ?? null } : {}) };
    return `data: ${JSON.stringify(value)}\n\n`;
  };
  const delta = (value: ChatCompletionChunk.Choice.Delta): ChatCompletionChunk.Choice[] => [{ index: 0, delta: value, finish_reason: null, logprobs: null }];
  const events: StreamEvent[] = [];
  words(reply.content ?? "").forEach((word, index) => {
    events.push({ data: chunk(delta(index === 0 ? { role: "assistant", content: word } : { content: word })), paced: true });
  });
  reply.toolCalls.forEach((call, index) => {
    const opening = { index, id: call.id, type: "function" as const, function: { name: call.name, arguments: "" } };
    events.push({ data: chunk(delta({ ...(index === 0 && events.length === 0 ? { role: "assistant" as const } : {}), tool_calls: [opening] })), paced: true });
    for (const piece of argumentPieces(call.arguments)) {
      events.push({ data: chunk(delta({ tool_calls: [{ index, function: { arguments: piece } }] })), paced: true });
    }
  });
  const finish = reply.toolCalls.length > 0 ? "tool_calls" : "stop";
  events.push({ data: chunk([{ index: 0, delta: {}, finish_reason: finish, logprobs: null }]), paced: false });
  if (includeUsage) events.push({ data: chunk([], reply.usage), paced: false });
  events.push({ data: "data: [DONE]\n\n", paced: false });
  return events;
}

/** Whitespace stays attached to the word before it (leading whitespace to the first word). */
function words(content: string): string[] {
  if (content === "") return [];
  return content.match(/\s*\S+\s*/g) ?? [content];
}

/** JSON arguments cut after each ',' and ':', the way a model emits them a few tokens at a time. */
function argumentPieces(argumentsJson: string): string[] {
  return (argumentsJson.match(/[^,:]+[,:]?|[,:]/g) ?? []).filter((piece) => piece !== "");
}

/**
 * Sends the events one by one, waiting `delayMs` before each paced one. Abort errors the stream at
 * once (a pending read rejects with the abort reason, as fetch does) and clears the timer.
 */
function pacedStream(events: StreamEvent[], delayMs: number, signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopWaiting: ((error: unknown) => void) | undefined;
  let onAbort: (() => void) | undefined;
  const cleanUp = () => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => {
        cleanUp();
        const reason = abortReason(signal);
        stopWaiting?.(reason);
        controller.error(reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      const event = events[next];
      next += 1;
      if (!event) {
        cleanUp();
        controller.close();
        return;
      }
      if (event.paced) {
        await new Promise<void>((resolve, reject) => {
          stopWaiting = reject;
          timer = setTimeout(resolve, delayMs);
        });
      }
      controller.enqueue(encoder.encode(event.data));
    },
    cancel() {
      cleanUp();
    },
  });
}

// ——— models, errors, plumbing ———

function modelsResponse(id: string | undefined, listed: string): Response {
  const model = (modelId: string) => ({ id: modelId, object: "model", created: 0, owned_by: "switchboard" });
  if (id !== undefined) return json(200, model(decodeURIComponent(id)));
  return json(200, { object: "list", data: [model(listed)] });
}

/** Same request, same ids: completion and tool call ids derive from what was asked. */
export function requestHash(request: ChatCompletionCreateParams): string {
  return createHash("sha256").update(JSON.stringify([request.model, request.messages, request.tools ?? null])).digest("hex");
}

function errorResponse(status: number, message: string, param: string | null, code: string | null): Response {
  return json(status, { error: { message, type: ERROR_TYPE, param, code } });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...headers, "content-type": "application/json" } });
}

/** "messages[0].role", the way the OpenAI API names a parameter. */
function paramPath(path: PropertyKey[]): string | null {
  if (path.length === 0) return null;
  return path.map((key, index) => (typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`)).join("");
}

async function readBody(input: string | URL | Request, init: RequestInit | undefined): Promise<string> {
  if (init?.body !== undefined && init.body !== null) return new Response(init.body).text();
  return input instanceof Request ? input.text() : "";
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

function abortReason(signal: AbortSignal | undefined): unknown {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException("This operation was aborted", "AbortError");
}
