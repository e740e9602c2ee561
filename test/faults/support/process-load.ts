/**
 * The load of the process scenarios, and what they measure: users who post messages over REST and
 * wait for each answer (retrying a refused post with the same `clientMsgId`, as a careful client
 * does), logs followed over REST, sockets that follow a conversation across reconnects, and the
 * counts of the fault table (lost, duplicated, failed, 5xx).
 */
import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import type { Event, EventOf } from "../../../shared/events.js";
import type { AckResponse, ClientToServerEvents, ServerToClientEvents } from "../../../shared/socket-events.js";
import { turnFinished } from "../../../shared/turn-status.js";
import { recordFaultRow, type FaultRow } from "./fault-table.js";

/** A question with the words its answer must hold; `delegates` when the manager splits it between two specialists. */
export interface Prompt {
  text: string;
  expect: RegExp[];
  delegates?: boolean;
}

/** Questions the offline model answers deterministically (see test/team-flow.test.ts, test/offline-model.test.ts). */
export const PROMPTS = {
  percent: { text: "What is 17.5% of 2,480?", expect: [/\b434\b/] },
  kilograms: { text: "Convert 3 kg to pounds please", expect: [/6\.61/] },
  fifteenPercent: { text: "How much is 15 percent of 80?", expect: [/\b12\b/] },
  milesAndHandoffs: { text: "convert 5 miles to km, and summarize how handoffs work", expect: [/8\.04672/, /handoff/i], delegates: true },
  milesAndKilograms: { text: "convert 5 miles to km and 3 kg to pounds", expect: [/8\.04672/, /6\.61/], delegates: true },
  twoSums: { text: "what is 12 * 7 and what is 3 + 4?", expect: [/\b84\b/, /\b7\b/], delegates: true },
} satisfies Record<string, Prompt>;

/** "What is 41 + 1?": a short transfer to the calculator whose answer names the sum. */
export function sum(n: number): Prompt {
  return { text: `What is ${n} + 1?`, expect: [new RegExp(`\\b${n + 1}\\b`)] };
}

/** "1 request", "3 requests". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A client's retry delay: 50 ms, doubling, at most 1 s. */
const backoff = (attempt: number) => sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));

/**
 * The counts a scenario's row is made of that the load itself sees: 5xx answers, and the refusals
 * and unreachable moments of an outage the scenario announced (`beginOutage`/`endOutage`), which a
 * client is expected to retry.
 */
export class FaultMeter {
  /** 5xx answers (and `unavailable` socket acks) outside an announced outage, or any other 5xx. */
  readonly http5xx: string[] = [];
  /** `503 unavailable` answers to requests made during an announced outage; each was retried. */
  refusedDuringOutage = 0;
  /** Requests that could not reach the server during an announced outage; each was retried. */
  unreachableDuringOutage = 0;
  /** Failures a user would see that are not 5xx: network errors outside an outage, unexpected statuses. */
  readonly unexpected: string[] = [];
  private open = false;
  private opened = 0;

  beginOutage(): void {
    this.open = true;
    this.opened += 1;
  }

  endOutage(): void {
    this.open = false;
  }

  /** Taken when a request starts; `during` says afterwards whether an outage overlapped it. */
  mark(): { open: boolean; opened: number } {
    return { open: this.open, opened: this.opened };
  }

  during(mark: { open: boolean; opened: number }): boolean {
    return mark.open || this.open || this.opened > mark.opened;
  }
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A REST client as a careful user's program would write it, counting what the fault table needs. */
export class FaultApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly meter: FaultMeter,
  ) {}

  /**
   * One request. With `retry`, a `503 unavailable` or an unreachable server is tried again with
   * backoff until it answers otherwise; every such answer is counted (as an outage's refusal when
   * one was announced, as a 5xx or an unexpected failure when not).
   */
  async request(method: string, path: string, body?: unknown, options: { retry?: boolean; signal?: AbortSignal } = {}): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const mark = this.meter.mark();
      let answer: Answer;
      try {
        const response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: options.signal,
        });
        answer = { status: response.status, body: parseBody(await response.text()) };
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (this.meter.during(mark)) this.meter.unreachableDuringOutage += 1;
        else this.meter.unexpected.push(`${method} ${path}: ${reasonOf(error)}`);
        if (!options.retry) throw error;
        await backoff(attempt);
        continue;
      }
      if (answer.status < 500) return answer;
      const code = (answer.body.error as { code?: string } | undefined)?.code;
      if (answer.status === 503 && code === "unavailable" && this.meter.during(mark)) this.meter.refusedDuringOutage += 1;
      else this.meter.http5xx.push(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      if (!options.retry) return answer;
      await backoff(attempt);
    }
  }

  async createConversation(): Promise<string> {
    const answer = await this.request("POST", "/api/conversations", {}, { retry: true });
    if (answer.status !== 201) throw new Error(`create conversation: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.id as string;
  }

  /** Posts until the message is durable (202); a retry carries the same `clientMsgId`, so it is posted once. */
  async postMessage(conversationId: string, text: string, clientMsgId: string): Promise<string> {
    const answer = await this.request("POST", `/api/conversations/${conversationId}/messages`, { text, clientMsgId }, { retry: true });
    if (answer.status !== 202) {
      this.meter.unexpected.push(`POST message: ${answer.status} ${JSON.stringify(answer.body)}`);
      throw new Error(`post message: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body.eventId as string;
  }

  /** The whole log, or what follows `after`, long-polling up to `wait` ms for the first new event. */
  async events(conversationId: string, after = "0", wait = 0, signal?: AbortSignal): Promise<Event[]> {
    const query = new URLSearchParams({ after, ...(wait > 0 ? { wait: String(wait) } : {}) });
    const answer = await this.request("GET", `/api/conversations/${conversationId}/events?${query}`, undefined, { retry: true, signal });
    if (answer.status !== 200) throw new Error(`events: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.events as Event[];
  }

  /** GET /api/health until it says Redis is up (200). */
  async healthy(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`${this.baseUrl}/api/health`);
        await response.text();
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await backoff(attempt);
    }
  }
}

/** A JSON body, or what the server sent instead, kept as text for the report. */
function parseBody(text: string): Record<string, unknown> {
  if (text === "") return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { notJson: text.slice(0, 500) };
  }
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/**
 * Follows conversations' logs over REST (long polling, as `npm run chat` does) and keeps each
 * one in memory; `until` resolves when a condition over them holds. A crash of one of the
 * scenario's processes ends every wait at once, with the reason.
 */
export class LogBook {
  private readonly logs = new Map<string, Event[]>();
  private readonly waiters = new Set<() => void>();
  private readonly loops: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private broken: Error | undefined;

  constructor(private readonly api: FaultApi) {}

  follow(conversationId: string): void {
    if (this.logs.has(conversationId)) return;
    this.logs.set(conversationId, []);
    this.loops.push(this.run(conversationId));
  }

  log(conversationId: string): Event[] {
    return this.logs.get(conversationId) ?? [];
  }

  /** Ends every wait with `error` (a process crashed: what the waits expect will not come). */
  fail(error: Error): void {
    this.broken ??= error;
    this.wake();
  }

  until(condition: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.broken) {
          this.waiters.delete(check);
          reject(this.broken);
        } else if (condition()) {
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private async run(conversationId: string): Promise<void> {
    const log = this.logs.get(conversationId) ?? [];
    while (!this.abort.signal.aborted) {
      let events: Event[];
      try {
        events = await this.api.events(conversationId, log.at(-1)?.id ?? "0", 5000, this.abort.signal);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.fail(error as Error);
        return;
      }
      log.push(...events);
      if (events.length > 0) this.wake();
    }
  }
}

/** A message a user posted, and what the server said. */
export interface SentMessage {
  conversationId: string;
  clientMsgId: string;
  prompt: Prompt;
  /** The 202's event id: the message is durable. */
  eventId?: string;
  /** Turn index in its conversation. */
  turn: number;
}

/** The events of the turn a user message started: from it to the next user message. */
export function turnSlice(log: Event[], userEventId: string): Event[] {
  const start = log.findIndex((event) => event.id === userEventId);
  if (start < 0) return [];
  const next = log.findIndex((event, index) => index > start && event.type === "message.user");
  return log.slice(start, next < 0 ? undefined : next);
}

export function turnDone(log: Event[], userEventId: string): boolean {
  return turnFinished(turnSlice(log, userEventId));
}

/**
 * A user of one conversation: posts each prompt once the previous turn is over (and `gate(turn)`
 * has resolved) and waits for the team to finish it.
 */
export async function converse(
  api: FaultApi,
  book: LogBook,
  conversationId: string,
  prompts: Prompt[],
  sent: SentMessage[],
  options: {
    /** Resolves when the user may post turn `turn`. */
    gate?: (turn: number) => Promise<void>;
    /** How turn `turn` is posted: over REST unless this gives another way (a socket). */
    post?: (turn: number, text: string, clientMsgId: string) => Promise<string>;
  } = {},
): Promise<void> {
  for (const [turn, prompt] of prompts.entries()) {
    await options.gate?.(turn);
    const message: SentMessage = { conversationId, clientMsgId: `m-${randomUUID()}`, prompt, turn };
    sent.push(message);
    const post = options.post ?? ((_turn, text, clientMsgId) => api.postMessage(conversationId, text, clientMsgId));
    const eventId = await post(turn, prompt.text, message.clientMsgId);
    message.eventId = eventId;
    await book.until(() => turnDone(book.log(conversationId), eventId));
  }
}

/** Runs that logged `run.started` and have not ended yet. */
export function runsInFlight(log: Event[]): Set<string> {
  const open = new Set<string>();
  for (const event of log) {
    if (event.type === "run.started" && event.runId) open.add(event.runId);
    if ((event.type === "run.completed" || event.type === "run.failed") && event.runId) open.delete(event.runId);
  }
  return open;
}

/** Delegations whose child run has started and not ended: the manager waits for it right now. */
export function delegationsInFlight(log: Event[]): EventOf<"handoff">[] {
  const open = runsInFlight(log);
  return log.filter((event): event is EventOf<"handoff"> => event.type === "handoff" && event.data.mode === "delegate" && open.has(event.data.childRunId));
}

/** What identifies an event: the same identity logged twice is a duplicate, whatever its id and time. */
export function identity(event: Event): string {
  const data = event.data as Record<string, unknown>;
  switch (event.type) {
    case "message.user":
      return `user/${String(data.clientMsgId ?? event.id)}`;
    case "run.started":
      return `${event.runId}/started`;
    case "run.completed":
    case "run.failed":
      return `${event.runId}/ended`;
    case "tool.call":
    case "tool.result":
      return `${event.runId}/${event.type}/${String(data.toolCallId)}`;
    case "handoff":
    case "handoff.return":
      return `${event.runId}/${event.type}/${String(data.childRunId)}`;
    default: {
      // Anything else: its run, type and content, leaving out what differs between two attempts.
      const { latencyMs: _latency, waitedMs: _waited, ...content } = data;
      return `${event.runId}/${event.type}/${JSON.stringify(content)}`;
    }
  }
}

/** Events whose identity was logged more than once (each extra copy counted). */
export function loggedTwice(log: Event[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const event of log) {
    const key = identity(event);
    if (seen.has(key)) twice.push(`${event.type} ${key}`);
    seen.add(key);
  }
  return twice;
}

/** What the users' messages came to, read from the logs. */
export interface Outcome {
  /** Acknowledged messages missing from the log, or whose turn never finished or was never answered. */
  lost: string[];
  /** Answered turns whose answer lacks what the question asked for. */
  wrong: string[];
  duplicated: string[];
  failed: string[];
  acknowledged: number;
}

export function outcome(logs: (conversationId: string) => Event[], sent: SentMessage[]): Outcome {
  const result: Outcome = { lost: [], wrong: [], duplicated: [], failed: [], acknowledged: 0 };
  for (const message of sent) {
    if (message.eventId === undefined) continue;
    result.acknowledged += 1;
    const log = logs(message.conversationId);
    const label = `${message.conversationId} turn ${message.turn} (${JSON.stringify(message.prompt.text)})`;
    const user = log.find((event) => event.id === message.eventId);
    if (!user || user.type !== "message.user" || user.data.clientMsgId !== message.clientMsgId) {
      result.lost.push(`${label}: acknowledged as ${message.eventId} but not in the log`);
      continue;
    }
    const slice = turnSlice(log, message.eventId);
    const answers = slice.filter((event): event is EventOf<"message.agent"> => event.type === "message.agent");
    if (!turnFinished(slice) || answers.length === 0) {
      result.lost.push(`${label}: never answered (${slice.map((e) => `${e.type}${e.agent ? `:${e.agent}` : ""}`).join(", ")})`);
      continue;
    }
    const text = answers.map((answer) => answer.data.text).join("\n");
    const missing = message.prompt.expect.filter((pattern) => !pattern.test(text));
    if (missing.length > 0) result.wrong.push(`${label}: the answer lacks ${missing.join(", ")}: ${JSON.stringify(text)}`);
  }
  for (const conversationId of new Set(sent.map((message) => message.conversationId))) {
    const log = logs(conversationId);
    result.duplicated.push(...loggedTwice(log).map((entry) => `${conversationId}: ${entry}`));
    for (const event of log) {
      if (event.type === "run.failed") result.failed.push(`${conversationId}: ${event.agent} ${event.data.code}: ${event.data.reason}`);
    }
  }
  return result;
}

/**
 * Records the scenario's row once: before the assertions when the scenario runs to its end, or,
 * when it fails before (a timeout, a crash), from the counts as they stand, via `onTestFailed`.
 */
export class ScenarioRow {
  private recorded = false;

  constructor(private readonly build: () => FaultRow) {}

  record(): FaultRow {
    const row = this.build();
    if (!this.recorded) recordFaultRow(row);
    this.recorded = true;
    return row;
  }
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A Socket.IO client following one conversation as the browser client does: it joins on every
 * (re)connect with the id of the last event it holds, and keeps, in arrival order, every event
 * the join acknowledgements and the live stream gave it, without dropping repeats.
 */
export class FollowingSocket {
  readonly socket: ClientSocket;
  /** Every event received, in arrival order, repeats included. */
  readonly received: Event[] = [];
  joins = 0;
  /** Live words (`message:delta`) received: not stored, only counted. */
  deltas = 0;
  private readonly waiters = new Set<() => void>();
  private readonly ackErrors: string[] = [];

  constructor(
    url: string,
    token: string,
    readonly conversationId: string,
    private readonly meter: FaultMeter,
    options: { reconnection: boolean },
  ) {
    this.socket = io(url, {
      path: "/socket.io",
      auth: { token },
      transports: ["websocket"],
      // A connection of its own, as each browser tab has.
      forceNew: true,
      reconnection: options.reconnection,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      autoConnect: false,
    });
    this.socket.on("connect", () => this.join());
    this.socket.on("conversation:event", (event) => {
      if (event.conversationId === this.conversationId) this.take([event]);
    });
    this.socket.on("message:delta", (delta) => {
      if (delta.conversationId !== this.conversationId) return;
      this.deltas += 1;
      this.wake();
    });
    this.socket.on("connect", () => this.wake());
    this.socket.on("connect_error", () => this.wake());
    this.socket.on("disconnect", () => this.wake());
    this.socket.connect();
  }

  /** The id of the newest event held; a (re)join asks for everything after it. */
  cursor(): string | undefined {
    return this.received.at(-1)?.id;
  }

  /** Acks that failed: each is a failure a user would see. */
  errors(): string[] {
    return [...this.ackErrors];
  }

  /** Resolves once `condition` holds for this socket (checked on every event, join, connect and disconnect). */
  until(condition: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves once it holds the event `id`. */
  has(id: string): Promise<void> {
    return this.until(() => this.received.some((event) => event.id === id));
  }

  /** Resolves after the next successful join from now on. */
  nextJoin(): Promise<void> {
    const joins = this.joins;
    return this.until(() => this.joins > joins);
  }

  /**
   * Sends a message through the socket until it is acknowledged durable, as the browser client
   * does: an ack lost to a disconnect, or an `unavailable` one, is retried with the same
   * `clientMsgId` once connected. Resolves with its event id.
   */
  async post(text: string, clientMsgId: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      await this.until(() => this.socket.connected);
      const mark = this.meter.mark();
      let response: AckResponse<{ eventId: string }>;
      try {
        response = await this.socket.timeout(10_000).emitWithAck("message:send", { conversationId: this.conversationId, text, clientMsgId });
      } catch {
        // Disconnected (or no ack in time): whether it was stored is unknown; the retry settles it.
        continue;
      }
      if (response.ok) return response.data.eventId;
      if (response.error.code !== "unavailable") {
        this.ackErrors.push(`send ${this.conversationId}: ${JSON.stringify(response.error)}`);
        throw new Error(`message:send refused: ${JSON.stringify(response.error)}`);
      }
      if (this.meter.during(mark)) this.meter.refusedDuringOutage += 1;
      else this.meter.http5xx.push(`send ${this.conversationId}: ${JSON.stringify(response.error)}`);
      await backoff(attempt);
    }
  }

  /** Re-checks the waits (after something they depend on outside this socket changed). */
  poke(): void {
    this.wake();
  }

  /**
   * Joins from the cursor. The ack's events are taken the moment it arrives (a callback, not a
   * promise), so nothing live can come between. A join cut off by a disconnect is repeated by the
   * next connect; one that times out on a live connection leaves and joins again.
   */
  join(): void {
    if (!this.socket.connected) return;
    const after = this.cursor();
    const mark = this.meter.mark();
    this.socket.timeout(10_000).emit("conversation:join", { conversationId: this.conversationId, ...(after ? { after } : {}) }, (error, response) => {
      if (error) {
        if (this.socket.connected) {
          this.socket.emit("conversation:leave", { conversationId: this.conversationId });
          this.join();
        }
        return;
      }
      if (response.ok) {
        this.take(response.data.events);
        this.joins += 1;
        this.wake();
        return;
      }
      if (response.error.code === "unavailable" && this.meter.during(mark)) this.meter.refusedDuringOutage += 1;
      else if (response.error.code === "unavailable") this.meter.http5xx.push(`join ${this.conversationId}: ${JSON.stringify(response.error)}`);
      else this.ackErrors.push(`join ${this.conversationId}: ${JSON.stringify(response.error)}`);
      // Refused: the browser client tries again after a pause; so does this one.
      setTimeout(() => this.join(), 200);
    });
  }

  close(): void {
    this.socket.close();
  }

  private take(events: Event[]): void {
    this.received.push(...events);
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * The counts of a fault-table row for a load followed by sockets: what the logs and each socket
 * lost or repeated, the turns that failed, the 5xx answers, and the extra columns those scenarios share.
 */
export function socketLoadCounts(result: Outcome, seen: ReturnType<typeof compareWithLog>[], meter: FaultMeter) {
  return {
    lost: result.lost.length + seen.reduce((total, socket) => total + socket.missing, 0),
    duplicated: result.duplicated.length + seen.reduce((total, socket) => total + socket.repeated, 0),
    failed: result.failed.length,
    http5xx: meter.http5xx.length,
    extra: { "sockets out of order": seen.filter((socket) => !socket.inOrder).length, "wrong answers": result.wrong.length },
  };
}

/** How a socket's events compare with the log: missing ones, repeats, and whether the order matches. */
export function compareWithLog(received: Event[], log: Event[]): { missing: number; repeated: number; inOrder: boolean } {
  const ids = received.map((event) => event.id);
  const unique = new Set(ids);
  const logged = log.map((event) => event.id);
  return {
    missing: logged.filter((id) => !unique.has(id)).length,
    repeated: ids.length - unique.size,
    inOrder: ids.length === logged.length && ids.every((id, index) => id === logged[index]),
  };
}
