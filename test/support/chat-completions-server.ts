import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createOfflineFetch } from "../../agents/model/offline/offline-fetch.js";

/**
 * A real HTTP server speaking the chat completions protocol through the offline model, for tests
 * that need a network hop (`OPENAI_BASE_URL`-style set-ups, SDK retries) and scripted faults.
 */

export interface ScriptedFault {
  status: 429 | 500 | 502 | 503;
  message: string;
}

export interface ChatCompletionsServerOptions {
  /** The offline model's delay per streamed word. */
  delayMs?: number;
  /** Called for every request with a body, in order; a fault returned is served instead of the model. */
  faults?: (requestIndex: number, body: unknown) => ScriptedFault | undefined;
  /** Called for every request with a body; the answer waits until the promise it returns settles. */
  hold?: (requestIndex: number, body: unknown) => Promise<void> | undefined;
  /** Called for every request with a body; a reply returned is sent instead of the model's answer. */
  replies?: (requestIndex: number, body: unknown) => ScriptedReply | undefined;
  /** Called for every request with a body; the model's answer is cut after this many SSE events. */
  cuts?: (requestIndex: number, body: unknown) => ScriptedCut | undefined;
}

/** A raw answer: what a login proxy, a wrong path or a broken server sends. */
export interface ScriptedReply {
  /** 200 unless given. */
  status?: number;
  contentType: string;
  /** Sent at once. */
  body: string;
  /** After the body: end the response (the default), drop the connection, or keep it open and silent. */
  then?: "end" | "destroy" | "hang";
}

/** The model's own answer, cut: the first `afterEvents` SSE events, then `then`. */
export interface ScriptedCut {
  afterEvents: number;
  then: "end" | "destroy" | "hang";
}

export interface ChatCompletionsServer {
  /** Ends in `/v1`: pass it as the SDK's `baseURL`. */
  baseUrl: string;
  /** Every request body received (parsed JSON, or the raw text if it was not JSON), faults included. */
  requests: unknown[];
  close(): Promise<void>;
}

/** SDK retries wait this long: it honours `retry-after-ms`, which keeps fault tests fast. */
const RETRY_AFTER_MS = "10";

export async function startChatCompletionsServer(options: ChatCompletionsServerOptions = {}): Promise<ChatCompletionsServer> {
  const offlineFetch = createOfflineFetch({ delayMs: options.delayMs ?? 0 });
  const requests: unknown[] = [];
  const server = createServer((request, response) => {
    serve(request, response).catch(() => response.destroy());
  });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readAll(request);
    const aborter = new AbortController();
    let cut: ScriptedCut | undefined;
    // The client went away before the answer was complete: stop generating it.
    response.on("close", () => {
      if (!response.writableFinished) aborter.abort();
    });
    if (body.length > 0) {
      const parsed = parseBody(body.toString("utf8"));
      const index = requests.length;
      requests.push(parsed);
      const fault = options.faults?.(index, parsed);
      if (fault) return sendFault(response, fault);
      const reply = options.replies?.(index, parsed);
      if (reply) return sendReply(response, reply);
      await options.hold?.(index, parsed);
      cut = options.cuts?.(index, parsed);
    }
    const answer = await offlineFetch(`http://${request.headers.host ?? "127.0.0.1"}${request.url ?? "/"}`, {
      method: request.method ?? "GET",
      headers: headersOf(request),
      ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
      signal: aborter.signal,
    });
    if (cut) return sendCut(answer, response, cut);
    await pipeResponse(answer, response);
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  return headers;
}

function sendFault(response: ServerResponse, fault: ScriptedFault): void {
  const type = fault.status === 429 ? "rate_limit_exceeded" : "server_error";
  response.writeHead(fault.status, { "content-type": "application/json", "retry-after-ms": RETRY_AFTER_MS });
  response.end(JSON.stringify({ error: { message: fault.message, type, param: null, code: type } }));
}

function sendReply(response: ServerResponse, reply: ScriptedReply): void {
  response.writeHead(reply.status ?? 200, { "content-type": reply.contentType });
  finish(response, reply.body, reply.then ?? "end");
}

/** The answer's status and headers, its first SSE events, then the cut. */
async function sendCut(answer: Response, response: ServerResponse, cut: ScriptedCut): Promise<void> {
  const text = await answer.text();
  const events = text.split("\n\n").filter((event) => event !== "");
  const headers = Object.fromEntries(answer.headers.entries());
  delete headers["content-length"];
  response.writeHead(answer.status, headers);
  finish(response, events.slice(0, cut.afterEvents).map((event) => `${event}\n\n`).join(""), cut.then);
}

function finish(response: ServerResponse, body: string, then: "end" | "destroy" | "hang"): void {
  if (then === "end") {
    response.end(body);
    return;
  }
  response.write(body);
  // "hang": nothing more until the client gives up (or the server closes).
  if (then === "destroy") setTimeout(() => response.destroy(), 20);
}

/** Status and headers, then the body as it is produced, so SSE streams arrive word by word. */
async function pipeResponse(answer: Response, response: ServerResponse): Promise<void> {
  response.writeHead(answer.status, Object.fromEntries(answer.headers.entries()));
  if (!answer.body) {
    response.end();
    return;
  }
  try {
    for await (const chunk of answer.body) {
      if (!response.write(chunk)) await Promise.race([once(response, "drain"), once(response, "close")]);
    }
    response.end();
  } catch {
    // Aborted mid-stream (the client left): nothing more to send.
    response.destroy();
  }
}
