import type { Server as HttpServer } from "node:http";
import type { Redis } from "ioredis";
import { Server, type Socket } from "socket.io";
import { z } from "zod";
import type { Approvals } from "../platform/approvals.js";
import type { Conversations } from "../platform/conversations.js";
import type { ConversationLog } from "../platform/conversation-log.js";
import type { Logger } from "../platform/logger.js";
import type { LogTail } from "../platform/log-tail.js";
import { ClientMsgId, ConversationId, Cursor, messageText } from "../shared/api.js";
import { DecideApprovalPayload } from "../shared/approval.js";
import { MessageDelta } from "../shared/events.js";
import type { Keys } from "../shared/keys.js";
import type { AckResponse, ClientToServerEvents, ServerToClientEvents } from "../shared/socket-events.js";
import { decideApproval } from "./approval-decisions.js";
import { clientAddress, type Identity } from "./auth.js";
import { HttpError, RateLimitedError, parseInput } from "./http-error.js";
import type { MessageIntake } from "./message-intake.js";
import type { RateLimits } from "./rate-limits.js";
import { securityHeaders } from "./security-headers.js";

interface SocketData {
  identity: Identity;
  /** The client's network address, as rate limits count it. */
  address: string;
  /** Conversation id → stop following its log. */
  following: Map<string, () => void>;
}

type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface GatewayDeps {
  authenticate: (token: string | undefined) => Identity | undefined;
  /** Refused tokens per address (the handshake), and messages per token and per address. */
  limits: RateLimits;
  conversations: Conversations;
  conversationLog: ConversationLog;
  tail: LogTail;
  intake: MessageIntake;
  approvals: Approvals;
  /** A connection used only for SUBSCRIBE: the channels of conversations this process follows. */
  subscriber: Redis;
  keys: Keys;
  maxMessageChars: number;
  log: Logger;
}

const room = (conversationId: string) => `conv:${conversationId}`;
/** Events a join's acknowledgement carries at most; the client asks again from the last one. */
const JOIN_BACKLOG = 5000;

/**
 * The live half of the public contract. Each socket follows the logs it joined through the shared
 * log tail, from its own cursor, so it receives every event once and in order; token deltas come
 * over pub/sub and go to the conversation's room.
 */
export class Gateway {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  private readonly deltaChannels = new Map<string, number>();

  constructor(http: HttpServer, private readonly deps: GatewayDeps) {
    this.io = new Server(http, { path: "/socket.io", serveClient: false, maxHttpBufferSize: 1_000_000 });
    // Socket.IO answers its own HTTP requests (long polling, the WebSocket upgrade): same headers.
    this.io.engine.use(securityHeaders());
    this.io.use((socket, next) => {
      this.authenticate(socket).then(() => next(), (error: unknown) => {
        if (error instanceof HttpError) {
          // A client reads `message`, and `data` for the code (and when to retry, if limited).
          const refusal = new Error(error.message) as Error & { data?: unknown };
          refusal.data = { code: error.code, ...(error instanceof RateLimitedError ? { retryAfter: error.retryAfterSeconds } : {}) };
          return next(refusal);
        }
        deps.log.error({ err: error }, "socket authentication failed");
        next(new Error("The server could not check the access token; try again."));
      });
    });
    this.io.on("connection", (socket) => this.attach(socket));
    deps.subscriber.on("message", (channel: string, message: string) => this.onDelta(channel, message));
  }

  /** The handshake's token, checked as REST checks a bearer token, refused tokens counted per address. */
  private async authenticate(socket: GatewaySocket): Promise<void> {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== "string" || token === "") throw new HttpError(401, "missing_token", "An access token is required.");
    const address = clientAddress(socket.handshake.address);
    await this.deps.limits.assertLoginAllowed(address);
    const identity = this.deps.authenticate(token);
    if (!identity) {
      await this.deps.limits.loginFailed(address);
      throw new HttpError(401, "invalid_token", "The access token is not valid.");
    }
    socket.data.identity = identity;
    socket.data.address = address;
    socket.data.following = new Map();
  }

  private attach(socket: GatewaySocket): void {
    const JoinPayload = z.object({ conversationId: ConversationId, after: Cursor.optional() }).strict();
    const SendPayload = z
      .object({
        conversationId: ConversationId,
        text: messageText(this.deps.maxMessageChars),
        clientMsgId: ClientMsgId,
      })
      .strict();

    socket.on("conversation:join", (payload, ack) =>
      this.answer(ack, async () => {
        const { conversationId, after } = parseInput(JoinPayload, payload);
        await this.owned(socket, conversationId);
        // A second join of the same conversation (a client resyncing) replaces the first.
        const previous = socket.data.following.get(conversationId);
        previous?.();
        const events = await this.deps.conversationLog.read(conversationId, after ?? "0", JOIN_BACKLOG);
        const cursor = events.at(-1)?.id ?? after ?? "0";
        const stop = this.deps.tail.subscribe(conversationId, cursor, (event) => socket.emit("conversation:event", event));
        socket.data.following.set(conversationId, stop);
        if (!previous) {
          await socket.join(room(conversationId));
          await this.followDeltas(conversationId);
        }
        return { events };
      }),
    );

    socket.on("conversation:leave", (payload) => {
      const conversationId = typeof payload?.conversationId === "string" ? payload.conversationId : "";
      this.leave(socket, conversationId).catch((error: unknown) => this.deps.log.warn({ err: error }, "leave failed"));
    });

    socket.on("message:send", (payload, ack) =>
      this.answer(ack, async () => {
        const input = parseInput(SendPayload, payload);
        const conversation = await this.owned(socket, input.conversationId);
        const owner = socket.data.identity.user;
        await this.deps.limits.consume("messages", { user: owner, address: socket.data.address });
        const eventId = await this.deps.intake.post({ owner, title: conversation.title, ...input });
        return { eventId };
      }),
    );

    // Ownership and outcomes exactly as POST /api/approvals/:approvalId; the decider is the socket's user.
    socket.on("approval:decide", (payload, ack) =>
      this.answer(ack, async () => {
        const input = parseInput(DecideApprovalPayload, payload, "invalid_decision");
        return { approval: await decideApproval(this.deps.approvals, socket.data.identity, input) };
      }),
    );

    socket.on("disconnect", () => {
      for (const conversationId of [...socket.data.following.keys()]) {
        this.leave(socket, conversationId).catch((error: unknown) => this.deps.log.warn({ err: error }, "leave failed"));
      }
    });
  }

  private async leave(socket: GatewaySocket, conversationId: string): Promise<void> {
    const stop = socket.data.following.get(conversationId);
    if (!stop) return;
    stop();
    socket.data.following.delete(conversationId);
    await socket.leave(room(conversationId));
    await this.unfollowDeltas(conversationId);
  }

  private async owned(socket: GatewaySocket, conversationId: string) {
    const conversation = await this.deps.conversations.get(socket.data.identity.user, conversationId);
    if (!conversation) throw new HttpError(404, "unknown_conversation", `No conversation "${conversationId}".`);
    return conversation;
  }

  /** Runs a handler and acknowledges with its result or a safe error; internals are logged only. */
  private answer<T>(ack: unknown, handler: () => Promise<T>): void {
    const reply = typeof ack === "function" ? (ack as (response: AckResponse<T>) => void) : () => {};
    handler().then(
      (data) => reply({ ok: true, data }),
      (error: unknown) => {
        if (error instanceof HttpError) return reply({ ok: false, error: { code: error.code, message: error.message } });
        this.deps.log.error({ err: error }, "socket request failed");
        reply({ ok: false, error: { code: "unavailable", message: "The server could not complete the request; try again." } });
      },
    );
  }

  private async followDeltas(conversationId: string): Promise<void> {
    const count = this.deltaChannels.get(conversationId) ?? 0;
    this.deltaChannels.set(conversationId, count + 1);
    if (count === 0) await this.deps.subscriber.subscribe(this.deps.keys.deltas(conversationId));
  }

  private async unfollowDeltas(conversationId: string): Promise<void> {
    const count = (this.deltaChannels.get(conversationId) ?? 0) - 1;
    if (count > 0) {
      this.deltaChannels.set(conversationId, count);
      return;
    }
    this.deltaChannels.delete(conversationId);
    await this.deps.subscriber.unsubscribe(this.deps.keys.deltas(conversationId));
  }

  private onDelta(_channel: string, message: string): void {
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
