import { randomUUID } from "node:crypto";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { io, type Socket } from "socket.io-client";
import type { Event } from "../shared/events.js";
import type { ClientToServerEvents, ServerToClientEvents } from "../shared/socket-events.js";

/**
 * The two clients a user's program is: HTTP (post the message; the conversation's events come on
 * its server-sent events stream, kept open, as `npm run chat` follows them) and Socket.IO (join,
 * send, wait for the events), each for one conversation. A turn is timed from the client's send to
 * the specialist's answer received by that client; it is over (the next may be sent) when the
 * answering run's `run.completed` arrives.
 */
export interface TurnResult {
  /** Send → the answer (`message.agent`) received, in ms. */
  latency: number;
  /** Model steps the turn's runs took (the `steps` of their `run.completed`). */
  steps: number;
  /** Set when a run of the turn failed or was cancelled: what its event said. */
  failure?: string;
}

export interface BenchClient {
  kind: "rest" | "socket";
  turn(text: string): Promise<TurnResult>;
  close(): void;
}

class TurnWatch {
  answeredAt = Number.NaN;
  steps = 0;
  done = false;
  failure: string | undefined;

  /** Reads one event of the turn; true once the turn is over. */
  see(event: Event, at: number): boolean {
    if (event.type === "message.agent" && Number.isNaN(this.answeredAt)) this.answeredAt = at;
    if (event.type === "run.completed") {
      this.steps += event.data.steps.length;
      if (event.data.outcome === "answered") this.done = true;
    }
    if (event.type === "run.failed" || event.type === "run.cancelled") {
      this.failure = `${event.agent ?? "?"}: ${event.type} ${JSON.stringify(event.type === "run.failed" ? { code: event.data.code, reason: event.data.reason } : event.data)}`;
      this.done = true;
    }
    return this.done;
  }
}

export async function restClient(baseUrl: string, token: string, title: string): Promise<BenchClient> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const id = (await call("POST", "/api/conversations", { title })).id as string;
  // One stream of the conversation's events for the client's life, as a program (or a browser's EventSource) keeps it.
  const aborter = new AbortController();
  const response = await fetch(`${baseUrl}/api/conversations/${id}/events/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    signal: aborter.signal,
  });
  if (!response.ok || !response.body) throw new Error(`events stream: ${response.status} ${await response.text()}`);
  let watch: TurnWatch | undefined;
  let over: (() => void) | undefined;
  let lost: ((error: unknown) => void) | undefined;
  const messages = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  void (async () => {
    try {
      for await (const message of messages) if (watch?.see(JSON.parse(message.data) as Event, performance.now())) over?.();
      lost?.(new Error("the server ended the events stream"));
    } catch (error) {
      if (!aborter.signal.aborted) lost?.(error);
    }
  })();
  return {
    kind: "rest",
    async turn(text) {
      const current = new TurnWatch();
      const finished = new Promise<void>((resolve, reject) => {
        over = resolve;
        lost = reject;
      });
      watch = current;
      const sent = performance.now();
      await call("POST", `/api/conversations/${id}/messages`, { text });
      await finished;
      return { latency: current.answeredAt - sent, steps: current.steps, ...(current.failure ? { failure: current.failure } : {}) };
    },
    close() {
      aborter.abort();
    },
  };
}

export async function socketClient(baseUrl: string, token: string, title: string): Promise<BenchClient> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(baseUrl, { auth: { token }, transports: ["websocket"], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  // Created over REST, as the browser does; everything after goes over the socket.
  const response = await fetch(`${baseUrl}/api/conversations`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ title }),
  });
  if (response.status !== 201) throw new Error(`create conversation: ${response.status} ${await response.text()}`);
  const id = ((await response.json()) as { id: string }).id;
  const joined = await socket.emitWithAck("conversation:join", { conversationId: id });
  if (!joined.ok) throw new Error(`join: ${joined.error.message}`);
  let watch: TurnWatch | undefined;
  let over: (() => void) | undefined;
  socket.on("conversation:event", (event) => {
    if (watch?.see(event, performance.now())) over?.();
  });
  return {
    kind: "socket",
    async turn(text) {
      const current = new TurnWatch();
      const finished = new Promise<void>((resolve) => (over = resolve));
      watch = current;
      const sent = performance.now();
      const ack = await socket.emitWithAck("message:send", { conversationId: id, text, clientMsgId: randomUUID() });
      if (!ack.ok) throw new Error(`send: ${ack.error.message}`);
      await finished;
      return { latency: current.answeredAt - sent, steps: current.steps, ...(current.failure ? { failure: current.failure } : {}) };
    },
    close() {
      socket.close();
    },
  };
}
