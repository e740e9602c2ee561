import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import type { Approvals } from "../platform/approvals.js";
import type { Conversations } from "../platform/conversations.js";
import type { Logger } from "../platform/logger.js";
import type { LogTail } from "../platform/log-tail.js";
import type { StreamingTexts } from "../platform/delta-bus.js";
import type { ShardedSubscriber } from "../platform/redis.js";
import { RateLimitedError, SwitchboardError } from "../shared/errors.js";
import { type Event, MessageDelta } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import type { StreamedText } from "../shared/streamed-text.js";
import { compareStreamIds } from "../shared/stream-id.js";
import {
  type AckResponse,
  type ClientToServerEvents,
  type ConnectRefusal,
  DecidePayload,
  type JoinAck,
  JoinPayload,
  LeavePayload,
  SendPayload,
  type ServerToClientEvents,
} from "../shared/socket-events.js";
import { decideApproval } from "./approval-decisions.js";
import type { Identity } from "./auth.js";
import { clientFacing, parseInput } from "./http-error.js";
import type { MessageIntake } from "./message-intake.js";
import type { TurnControl } from "./turn-control.js";
import { EditPayload, RetryPayload, StopTurnPayload } from "../shared/turn-control.js";
import type { RateLimits } from "./rate-limits.js";
import { securityHeaders } from "./security-headers.js";

interface SocketData {
  identity: Identity;
  /** The client's network address, as rate limits count it. */
  address: string;
  /** Conversation id → this socket's follow of its log. */
  following: Map<string, Follow>;
  /** Conversation id → the join or leave in progress: they run one at a time, in order. */
  busy: Map<string, Promise<void>>;
}

/**
 * One socket's follow of one conversation, with its own cursor. A re-join replaces it; the new
 * follow starts after the last event this one sent, so nothing is sent twice or skipped.
 */
interface Follow {
  /** Newest event id this socket has been sent for the conversation (in a join's ack or live). */
  sent: string;
  /** Live events held back until the join's acknowledgement has gone out. */
  held: Event[] | undefined;
  stopped: boolean;
  stop: () => void;
}

type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface GatewayDeps {
  authenticate: (token: string | undefined) => Identity | undefined;
  /** Refused tokens per address (the handshake), and messages per token and per address. */
  limits: RateLimits;
  conversations: Conversations;
  tail: LogTail;
  intake: MessageIntake;
  /** Stop, retry and edit (the same as the REST routes). */
  turns: TurnControl;
  approvals: Approvals;
  /** Sharded pub/sub: the delta channels of the conversations this process follows. */
  subscriber: ShardedSubscriber;
  /** The text runs have streamed so far, for sockets that join mid-answer. */
  streaming: StreamingTexts;
  keys: Keys;
  maxMessageChars: number;
  log: Logger;
}

const room = (conversationId: string) => `conv:${conversationId}`;
const later = (a: string, b: string) => (compareStreamIds(a, b) >= 0 ? a : b);

/**
 * The live half of the public contract. Each socket follows the logs it joined through the shared
 * log tail, from its own cursor, so it receives every event once and in order; token deltas come
 * over sharded pub/sub (one channel per followed conversation, in its slot) and go to the
 * conversation's room.
 */
export class Gateway {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  /** Conversation id → how many follows on this process want its deltas, and when its channel is subscribed. */
  private readonly deltaChannels = new Map<string, { count: number; subscribed: Promise<void> }>();
  private readonly sendPayload: ReturnType<typeof SendPayload>;
  private readonly editPayload: ReturnType<typeof EditPayload>;
  private readonly onDelta = (message: string) => this.delta(message);

  constructor(http: HttpServer, private readonly deps: GatewayDeps) {
    this.sendPayload = SendPayload(deps.maxMessageChars);
    this.editPayload = EditPayload(deps.maxMessageChars);
    this.io = new Server(http, { path: "/socket.io", serveClient: false, maxHttpBufferSize: 1_000_000 });
    // Socket.IO answers its own HTTP requests (long polling, the WebSocket upgrade): same headers.
    this.io.engine.use(securityHeaders());
    this.io.use((socket, next) => {
      this.authenticate(socket).then(() => next(), (error: unknown) => {
        const known = clientFacing(error, deps.log, "socket authentication failed");
        // A client reads `message`, and `data` for the code (and when to retry, if limited).
        const refusal = new Error(known.message) as Error & { data: ConnectRefusal };
        refusal.data = { code: known.code, ...(known instanceof RateLimitedError ? { retryAfter: known.retryAfterSeconds } : {}) };
        next(refusal);
      });
    });
    this.io.on("connection", (socket) => this.attach(socket));
  }

  /** The handshake's token, checked as REST checks a bearer token, refused tokens counted per address. */
  private async authenticate(socket: GatewaySocket): Promise<void> {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== "string" || token === "") throw new SwitchboardError("missing_token", "An access token is required.");
    const address = this.deps.limits.addressOf(socket.request);
    await this.deps.limits.assertLoginAllowed(address);
    const identity = this.deps.authenticate(token);
    if (!identity) {
      await this.deps.limits.loginFailed(address);
      throw new SwitchboardError("invalid_token", "The access token is not valid.");
    }
    socket.data.identity = identity;
    socket.data.address = address;
    socket.data.following = new Map();
    socket.data.busy = new Map();
  }

  private attach(socket: GatewaySocket): void {
    // Each request is `[event, payload, ack?]` before any handler sees it: an acknowledgement is found
    // wherever the client put it (so a request without a payload is refused by its schema, not left
    // unanswered), and an unknown event or extra arguments are refused in the acknowledgement.
    socket.use((packet, next) => {
      const refusal = shapeRequest(packet);
      if (refusal === undefined) return next();
      const ack = packet.at(-1);
      if (typeof ack === "function") (ack as Ack)({ ok: false, error: refusal.toBody() });
    });

    socket.on("conversation:join", (payload, ack) => {
      const key = conversationKey(payload);
      // Joins and leaves of one conversation on one socket run in turn; live events of a join
      // wait until its acknowledgement (with everything before them) has gone out.
      void this.serially(socket, key, () =>
        this.answer(ack, async () => {
          const { conversationId, after } = parseInput(JoinPayload, payload);
          return this.join(socket, conversationId, after ?? "0");
        }).then(() => this.release(socket, key)),
      );
    });

    // No ack to refuse with: a leave that does not parse is ignored.
    socket.on("conversation:leave", (payload) => {
      const parsed = LeavePayload.safeParse(payload);
      if (!parsed.success) return;
      const { conversationId } = parsed.data;
      void this.serially(socket, conversationId, () => this.leave(socket, conversationId));
    });

    socket.on("message:send", (payload, ack) =>
      this.answer(ack, async () => {
        const input = parseInput(this.sendPayload, payload, "invalid_message");
        const conversation = await this.owned(socket, input.conversationId);
        const owner = socket.data.identity.user;
        await this.deps.limits.consume("messages", { user: owner, address: socket.data.address });
        const eventId = await this.deps.intake.post({ owner, title: conversation.title, directAgent: conversation.directAgent, ...input });
        return { eventId };
      }),
    );

    // Ownership and outcomes exactly as POST /api/approvals/:approvalId; the decider is the socket's user.
    socket.on("approval:decide", (payload, ack) =>
      this.answer(ack, async () => {
        const input = parseInput(DecidePayload, payload, "invalid_decision");
        return { approval: await decideApproval(this.deps.approvals, socket.data.identity, input) };
      }),
    );

    // Exactly as the REST routes: the conversation must be the socket user's, who is the one who stops.
    socket.on("turn:stop", (payload, ack) =>
      this.answer(ack, async () => {
        const input = parseInput(StopTurnPayload, payload);
        await this.owned(socket, input.conversationId);
        return this.deps.turns.stop(input.conversationId, socket.data.identity.user, input.reason);
      }),
    );

    socket.on("message:retry", (payload, ack) =>
      this.answer(ack, async () => {
        const input = parseInput(RetryPayload, payload);
        return { eventId: await this.replace(socket, { ...input, mode: "retry" }) };
      }),
    );

    socket.on("message:edit", (payload, ack) =>
      this.answer(ack, async () => {
        const input = parseInput(this.editPayload, payload, "invalid_message");
        return { eventId: await this.replace(socket, { ...input, mode: "edit" }) };
      }),
    );

    socket.on("disconnect", () => {
      // After any join still in progress, so what it set up is taken down too.
      for (const conversationId of new Set([...socket.data.following.keys(), ...socket.data.busy.keys()])) {
        void this.serially(socket, conversationId, () => this.leave(socket, conversationId));
      }
    });
  }

  /**
   * Follows a conversation from the later of `after` and the last event this socket was already
   * sent for it: returns every event after that (read in pages, however many) for the ack, and a
   * follow holding live events back until `release`. Replaces an earlier follow only once the
   * read succeeded, so a failed re-join leaves the socket as it was.
   *
   * The ack also carries the text of each run streaming right now, read after the log and once
   * this socket receives the conversation's deltas: every delta is then in that text or arrives
   * after it (numbered, so the client drops the ones it already has), and text the log read
   * already holds has been taken out of it (or the client learns so from `after`).
   */
  private async join(socket: GatewaySocket, conversationId: string, after: string): Promise<JoinAck> {
    await this.owned(socket, conversationId);
    const start = later(after, socket.data.following.get(conversationId)?.sent ?? "0");
    const read = await this.deps.tail.read(conversationId, start);
    // From here to the subscription nothing awaits: no event can slip between the two follows.
    const previous = socket.data.following.get(conversationId);
    previous?.stop();
    const floor = later(start, previous?.sent ?? "0");
    const events = read.filter((event) => compareStreamIds(event.id, floor) > 0);
    const follow: Follow = { sent: events.at(-1)?.id ?? floor, held: [], stopped: false, stop: () => {} };
    const unsubscribe = this.deps.tail.subscribe(conversationId, follow.sent, (event) => {
      if (follow.held) follow.held.push(event);
      else this.send(socket, follow, event);
    });
    follow.stop = () => {
      follow.stopped = true;
      follow.held = undefined;
      unsubscribe();
    };
    socket.data.following.set(conversationId, follow);
    if (!previous) {
      await socket.join(room(conversationId));
      this.followDeltas(conversationId);
    }
    await this.deltaChannels.get(conversationId)?.subscribed;
    return { events, streams: await this.streamingTexts(conversationId) };
  }

  /** The texts being streamed; none when they cannot be read (the deltas still fill the bubble in). */
  private async streamingTexts(conversationId: string): Promise<StreamedText[]> {
    try {
      return await this.deps.streaming.read(conversationId);
    } catch (error) {
      this.deps.log.warn({ err: error, conversationId }, "could not read the texts being streamed");
      return [];
    }
  }

  /** The join's ack has gone out: the live events held meanwhile follow it. */
  private release(socket: GatewaySocket, conversationId: string): void {
    const follow = socket.data.following.get(conversationId);
    if (!follow) return;
    const held = follow.held ?? [];
    follow.held = undefined;
    for (const event of held) this.send(socket, follow, event);
  }

  private send(socket: GatewaySocket, follow: Follow, event: Event): void {
    if (follow.stopped || compareStreamIds(event.id, follow.sent) <= 0) return;
    follow.sent = event.id;
    socket.emit("conversation:event", event);
  }

  /** Runs `task` after the previous join or leave of the conversation on this socket has finished. */
  private serially(socket: GatewaySocket, conversationId: string, task: () => Promise<void>): Promise<void> {
    const busy = socket.data.busy;
    const run = (busy.get(conversationId) ?? Promise.resolve()).then(task).catch((error: unknown) => {
      this.deps.log.warn({ err: error, conversationId }, "socket join or leave failed");
    });
    busy.set(conversationId, run);
    void run.then(() => {
      if (busy.get(conversationId) === run) busy.delete(conversationId);
    });
    return run;
  }

  private async leave(socket: GatewaySocket, conversationId: string): Promise<void> {
    const follow = socket.data.following.get(conversationId);
    if (!follow) return;
    follow.stop();
    socket.data.following.delete(conversationId);
    await socket.leave(room(conversationId));
    this.unfollowDeltas(conversationId);
  }

  private async replace(socket: GatewaySocket, input: { conversationId: string; eventId: string; clientMsgId: string; mode: "retry" | "edit"; text?: string }): Promise<string> {
    const conversation = await this.owned(socket, input.conversationId);
    const owner = socket.data.identity.user;
    const admit = () => this.deps.limits.consume("messages", { user: owner, address: socket.data.address });
    const { conversationId: _id, ...rest } = input;
    return this.deps.turns.replace({ owner, conversation, ...rest, admit });
  }

  private async owned(socket: GatewaySocket, conversationId: string) {
    const conversation = await this.deps.conversations.get(socket.data.identity.user, conversationId);
    if (!conversation) throw new SwitchboardError("unknown_conversation", `No conversation "${conversationId}".`);
    return conversation;
  }

  /**
   * Runs a handler and acknowledges with its result or a safe error; internals are logged only.
   * Resolves once the acknowledgement has been sent.
   */
  private answer<T>(ack: unknown, handler: () => Promise<T>): Promise<void> {
    const reply = typeof ack === "function" ? (ack as (response: AckResponse<T>) => void) : () => {};
    return handler().then(
      (data) => reply({ ok: true, data }),
      (error: unknown) => reply({ ok: false, error: clientFacing(error, this.deps.log, "socket request failed").toBody() }),
    );
  }

  /** Counts a follow of the conversation's deltas; the first subscribes its channel. */
  private followDeltas(conversationId: string): void {
    const channel = this.deltaChannels.get(conversationId);
    if (channel) {
      channel.count += 1;
      return;
    }
    const subscribed = this.deps.subscriber.subscribe(this.deps.keys.deltas(conversationId), this.onDelta);
    this.deltaChannels.set(conversationId, { count: 1, subscribed });
    // Each join awaits it; one that fails is retried by the next first follow.
    subscribed.catch(() => {
      if (this.deltaChannels.get(conversationId)?.subscribed === subscribed) this.deltaChannels.delete(conversationId);
    });
  }

  private unfollowDeltas(conversationId: string): void {
    const channel = this.deltaChannels.get(conversationId);
    if (!channel) return;
    channel.count -= 1;
    if (channel.count > 0) return;
    this.deltaChannels.delete(conversationId);
    this.deps.subscriber.unsubscribe(this.deps.keys.deltas(conversationId), this.onDelta);
  }

  private delta(message: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(message);
    } catch {
      this.deps.log.warn("ignoring a token delta that is not JSON");
      return;
    }
    const delta = MessageDelta.safeParse(raw);
    if (!delta.success) {
      this.deps.log.warn({ reason: delta.error.message }, "ignoring a malformed token delta");
      return;
    }
    this.io.to(room(delta.data.conversationId)).emit("message:delta", delta.data);
  }

  async close(): Promise<void> {
    await this.io.close();
  }
}

const EVENTS: ReadonlySet<string> = new Set<keyof ClientToServerEvents>([
  "conversation:join",
  "conversation:leave",
  "message:send",
  "approval:decide",
  "turn:stop",
  "message:retry",
  "message:edit",
]);
type Ack = (response: AckResponse<never>) => void;

/**
 * Puts a request packet (`[event, ...args]`, the acknowledgement last when one was asked for) in
 * the shape the handlers read, `[event, payload, ack]`; returns the refusal when it cannot be.
 */
function shapeRequest(packet: unknown[]): SwitchboardError | undefined {
  const [event] = packet;
  if (typeof event !== "string" || !EVENTS.has(event)) {
    return new SwitchboardError("not_found", `No socket event "${String(event).slice(0, 64)}"; the events are ${[...EVENTS].join(", ")}.`);
  }
  const ack = typeof packet.at(-1) === "function" ? packet.at(-1) : undefined;
  const args = packet.slice(1, ack === undefined ? undefined : -1);
  if (args.length > 1) return new SwitchboardError("invalid_request", `Send ${event} one payload, not ${args.length} arguments.`);
  packet.splice(1, packet.length - 1, args[0], ...(ack === undefined ? [] : [ack]));
  return undefined;
}

/** The conversation id a join or leave names, as a key for running them in turn (checked later). */
function conversationKey(payload: unknown): string {
  const id = (payload as { conversationId?: unknown } | null | undefined)?.conversationId;
  return typeof id === "string" ? id : "";
}
