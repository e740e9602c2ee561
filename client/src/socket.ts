/**
 * The live half of the server contract: one typed Socket.IO connection per page, its status for
 * the indicator, and following a conversation across reconnects. Socket.IO's own connection-state
 * recovery only replays broadcasts; the real replay is the conversation log, so every (re)join
 * passes the client's cursor and the acknowledgement carries everything after it.
 */
import { io, type Socket } from "socket.io-client";
import { z } from "zod";
import { Event, MessageDelta } from "../../shared/events.js";
import { StreamedText } from "../../shared/streamed-text.js";
import type { ClientToServerEvents, JoinPayload, ServerToClientEvents } from "../../shared/socket-events.js";
import { type FailureCode, parseKnown, ReceivedError } from "./api.js";

export type SwitchboardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type ConnectionState = "connected" | "reconnecting" | "offline";

export interface ConnectionStatus {
  state: ConnectionState;
  /** Words for the indicator's tooltip and for the offline screen. */
  detail: string;
  /** The server refused this client (bad token, banned origin): retrying will not help by itself. */
  refused: boolean;
}

const JOIN_TIMEOUT_MS = 10_000;

const WEBSOCKET_FIRST = ["websocket", "polling"];
const POLLING_FIRST = ["polling", "websocket"];

/**
 * WebSocket first: its one handshake request is the whole session, so any server behind any
 * balancer can take it, sticky or not. Where the upgrade is refused (a proxy without WebSocket
 * support), `tryAllTransports` moves on to long polling within the same attempt. Where it is
 * swallowed (a proxy that never answers it), only the attempt's timeout tells: the next attempt
 * starts with long polling instead, and once connected the following ones start with WebSocket
 * again. Long polling spreads one session over many requests, so it needs a sticky balancer
 * (docs/running-at-scale.md).
 */
export function createSocket(token: string): SwitchboardSocket {
  const socket: SwitchboardSocket = io({
    path: "/socket.io",
    auth: { token },
    transports: WEBSOCKET_FIRST,
    tryAllTransports: true,
    autoConnect: false,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5_000,
    timeout: 10_000,
  });
  const manager = socket.io;
  manager.on("error", (error) => {
    manager.opts.transports = error.message === "timeout" ? POLLING_FIRST : WEBSOCKET_FIRST;
  });
  manager.on("open", () => {
    manager.opts.transports = WEBSOCKET_FIRST;
  });
  return socket;
}

/** Calls `onChange` with the connection's status now and whenever it changes; returns a stop function. */
export function watchConnection(socket: SwitchboardSocket, onChange: (status: ConnectionStatus) => void): () => void {
  const report = (state: ConnectionState, detail: string, refused = false): void => onChange({ state, detail, refused });

  // A server that closes the socket on purpose (an instance draining during a deploy) is not
  // retried by Socket.IO; this page retries with backoff, and the auth middleware still has the
  // last word (a refusal ends in "offline"). Repeated kicks right after connecting back off further.
  let kicks = 0;
  let connectedAt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const onConnect = (): void => {
    connectedAt = Date.now();
    report("connected", "Live: new messages and handoffs appear as they happen.");
  };
  // While the device itself has no network, "offline" is the honest word even as Socket.IO retries.
  const deviceOffline = (): boolean => typeof navigator !== "undefined" && navigator.onLine === false;
  const onDisconnect = (reason: Socket.DisconnectReason): void => {
    if (reason === "io client disconnect") report("offline", "Disconnected.");
    else if (deviceOffline()) report("offline", "This device is offline. Reconnecting when the network is back…");
    else if (reason === "io server disconnect") {
      kicks = Date.now() - connectedAt > 30_000 ? 1 : kicks + 1;
      const delay = Math.min(30_000, 1_000 * 2 ** (kicks - 1));
      report("reconnecting", "The server closed the connection. Reconnecting…");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        if (!socket.connected && !socket.active) socket.connect();
      }, delay);
    }
    else report("reconnecting", "Connection lost. Reconnecting…");
  };
  const onConnectError = (error: Error): void => {
    // `active` is false when the server's middleware refused the connection (e.g. a wrong token):
    // Socket.IO will not retry on its own. Otherwise it is a network problem and it keeps trying.
    if (socket.active && deviceOffline()) report("offline", "This device is offline. Reconnecting when the network is back…");
    else if (socket.active) report("reconnecting", "Cannot reach the server. Retrying…");
    else report("offline", error.message ? `The server refused the connection: ${error.message}` : "The server refused the connection.", true);
  };
  const onReconnectFailed = (): void => report("offline", "Could not reconnect to the server.");
  const onBrowserOffline = (): void => {
    if (!socket.connected) report("offline", "This device is offline.");
  };
  const onBrowserOnline = (): void => {
    if (socket.connected) return;
    report("reconnecting", "Back online. Reconnecting…");
    if (!socket.active) socket.connect();
  };

  socket.on("connect", onConnect);
  socket.on("disconnect", onDisconnect);
  socket.on("connect_error", onConnectError);
  socket.io.on("reconnect_failed", onReconnectFailed);
  window.addEventListener("offline", onBrowserOffline);
  window.addEventListener("online", onBrowserOnline);

  if (socket.connected) onConnect();
  else report("reconnecting", "Connecting…");

  return () => {
    clearTimeout(retryTimer);
    socket.off("connect", onConnect);
    socket.off("disconnect", onDisconnect);
    socket.off("connect_error", onConnectError);
    socket.io.off("reconnect_failed", onReconnectFailed);
    window.removeEventListener("offline", onBrowserOffline);
    window.removeEventListener("online", onBrowserOnline);
  };
}

/** An acknowledgement, checked: the server is another program and may send something unexpected. */
export function ackSchema<T>(data: z.ZodType<T>) {
  return z.union([z.object({ ok: z.literal(true), data }), z.object({ ok: z.literal(false), error: ReceivedError })]);
}

export type Acked<T> = { ok: true; data: T } | { ok: false; code: FailureCode; message: string };

/** Turns an acknowledgement callback into a result; a timeout or a dropped connection rejects. */
export function awaitAck<T>(schema: z.ZodType<T>, emit: (callback: (error: Error | null, response: unknown) => void) => void): Promise<Acked<T>> {
  return new Promise((resolve, reject) => {
    emit((error, response) => {
      if (error) {
        reject(error);
        return;
      }
      const parsed = ackSchema(schema).safeParse(response);
      if (!parsed.success) resolve({ ok: false, code: "bad_response", message: "The server sent an answer this page does not understand." });
      else if (parsed.data.ok) resolve({ ok: true, data: parsed.data.data });
      else resolve({ ok: false, code: parsed.data.error.code, message: parsed.data.error.message });
    });
  });
}

/** `streams` is absent from a server older than it. */
const JoinData = z.object({ events: z.array(z.unknown()), streams: z.array(z.unknown()).optional() });

export interface FollowHandlers {
  /** The id of the newest event held without gaps; joins ask for everything after it. */
  cursor(): string | undefined;
  /** A join's acknowledgement: the events after `after`, and the text of each run streaming now. */
  onHistory(events: Event[], after: string | undefined, streams: StreamedText[]): void;
  onLive(event: Event): void;
  onDelta(delta: MessageDelta): void;
  /** The connection dropped: streamed text may now have holes and the cursor stops moving. */
  onDisconnect(): void;
  onJoinError(message: string): void;
}

/**
 * Joins a conversation now (if connected) and again after every reconnect, always from the
 * client's cursor, and forwards its live events and deltas. Returns a function that leaves.
 */
export function followConversation(socket: SwitchboardSocket, conversationId: string, handlers: FollowHandlers): () => void {
  let disposed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  // Deltas that arrive while a join is answered wait for it: they apply after the text it brings,
  // which may already hold some of them (their numbers say which).
  let joining = 0;
  let heldDeltas: MessageDelta[] = [];
  const joined = (): void => {
    joining = Math.max(0, joining - 1);
    if (joining > 0) return;
    const held = heldDeltas;
    heldDeltas = [];
    if (!disposed) for (const delta of held) handlers.onDelta(delta);
  };

  const join = (): void => {
    if (disposed || !socket.connected) return;
    clearTimeout(retryTimer);
    const after = handlers.cursor();
    const payload: JoinPayload = after === undefined ? { conversationId } : { conversationId, after };
    joining += 1;
    awaitAck(JoinData, (callback) => socket.timeout(JOIN_TIMEOUT_MS).emit("conversation:join", payload, callback)).then(
      (result) => {
        if (disposed) return;
        if (result.ok) {
          attempt = 0;
          handlers.onHistory(parseKnown(Event, result.data.events), after, parseKnown(StreamedText, result.data.streams ?? []));
        } else {
          handlers.onJoinError(result.message);
        }
        joined();
      },
      () => {
        joined();
        // Timed out or disconnected mid-join. A reconnect joins again by itself; a slow server
        // gets another try with backoff. Leaving first makes the server forget what the timed-out
        // join sent (a re-join on one socket never re-sends), so the retry starts at our cursor.
        if (disposed || !socket.connected) return;
        socket.emit("conversation:leave", { conversationId });
        attempt++;
        retryTimer = setTimeout(join, Math.min(10_000, 500 * 2 ** attempt));
      },
    );
  };

  const onEvent = (raw: unknown): void => {
    const parsed = Event.safeParse(raw);
    if (parsed.success && parsed.data.conversationId === conversationId) handlers.onLive(parsed.data);
  };
  const onDelta = (raw: unknown): void => {
    const parsed = MessageDelta.safeParse(raw);
    if (!parsed.success || parsed.data.conversationId !== conversationId) return;
    if (joining > 0) heldDeltas.push(parsed.data);
    else handlers.onDelta(parsed.data);
  };
  const onDisconnect = (): void => {
    clearTimeout(retryTimer);
    handlers.onDisconnect();
  };

  socket.on("connect", join);
  socket.on("disconnect", onDisconnect);
  socket.on("conversation:event", onEvent);
  socket.on("message:delta", onDelta);
  join();

  return () => {
    disposed = true;
    clearTimeout(retryTimer);
    socket.off("connect", join);
    socket.off("disconnect", onDisconnect);
    socket.off("conversation:event", onEvent);
    socket.off("message:delta", onDelta);
    if (socket.connected) socket.emit("conversation:leave", { conversationId });
  };
}
