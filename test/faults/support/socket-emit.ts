import { io, type Socket } from "socket.io-client";

/** A Socket.IO client without the typed event maps: the fault tests send what the types forbid. */
export type LooseSocket = Socket;

export type EmitOutcome =
  | { kind: "ack"; response: unknown }
  /** The server answered later requests on the socket but never this one. */
  | { kind: "unanswered" }
  /** Nothing was asked back (no acknowledgement), and the socket is still connected. */
  | { kind: "sent" }
  | { kind: "disconnected"; reason: string };

export function connectLoose(url: string, auth: unknown, namespace = "/"): LooseSocket {
  return io(`${url}${namespace === "/" ? "" : namespace}`, {
    path: "/socket.io",
    auth: auth as Record<string, unknown>,
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
}

/** Resolves when connected, or with the `connect_error` that refused the handshake. */
export function handshake(socket: LooseSocket): Promise<{ ok: true } | { ok: false; error: Error & { data?: { code?: string } } }> {
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ ok: true }));
    socket.once("connect_error", (error: Error & { data?: { code?: string } }) => resolve({ ok: false, error }));
  });
}

/**
 * A request with no effect that is always answered: joining a conversation that does not exist.
 * Resolves with its answer, or with undefined once the socket is gone (the caller hears of that
 * through `disconnect`).
 */
function probe(socket: LooseSocket): Promise<unknown> {
  return socket.emitWithAck("conversation:join", { conversationId: "probe-does-not-exist" }).catch(() => undefined);
}

/**
 * Emits `event` with `args` (and an acknowledgement callback when `ack`), then tells what came of it.
 * Whether an acknowledgement is coming at all is known without a clock: two requests the server
 * always answers are sent one after the other, behind it, on the same socket; the answer to this
 * one, if any, comes before theirs (each takes at most as many Redis round trips as they do).
 */
export function emitAndSettle(socket: LooseSocket, event: string, args: unknown[], ack: boolean): Promise<EmitOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: EmitOutcome) => {
      if (settled) return;
      settled = true;
      socket.off("disconnect", onDisconnect);
      resolve(outcome);
    };
    const onDisconnect = (reason: string) => settle({ kind: "disconnected", reason });
    if (!socket.connected) {
      settle({ kind: "disconnected", reason: "not connected" });
      return;
    }
    socket.on("disconnect", onDisconnect);
    if (ack) socket.emit(event, ...args, (response: unknown) => settle({ kind: "ack", response }));
    else socket.emit(event, ...args);
    void (async () => {
      await probe(socket);
      await probe(socket);
      // Acknowledgements already received are delivered before the probes' own.
      settle(ack ? { kind: "unanswered" } : { kind: "sent" });
    })();
  });
}

/** Writes one raw engine.io message (a would-be Socket.IO packet), then tells whether the socket survived it. */
export function writeFrameAndSettle(socket: LooseSocket, frame: string): Promise<{ kind: "answered-after" } | { kind: "disconnected"; reason: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: { kind: "answered-after" } | { kind: "disconnected"; reason: string }) => {
      if (settled) return;
      settled = true;
      socket.off("disconnect", onDisconnect);
      resolve(outcome);
    };
    const onDisconnect = (reason: string) => settle({ kind: "disconnected", reason });
    socket.on("disconnect", onDisconnect);
    (socket.io.engine as unknown as { write(data: string): void }).write(frame);
    void probe(socket).then(() => settle({ kind: "answered-after" }));
  });
}

/** A good request: its acknowledgement, or how the connection ended before it came. */
export function request(socket: LooseSocket, event: string, payload: unknown): Promise<EmitOutcome> {
  return new Promise((resolve) => {
    if (!socket.connected) return resolve({ kind: "disconnected", reason: "not connected" });
    const onDisconnect = (reason: string) => resolve({ kind: "disconnected", reason });
    socket.once("disconnect", onDisconnect);
    socket.emit(event, payload, (response: unknown) => {
      socket.off("disconnect", onDisconnect);
      resolve({ kind: "ack", response });
    });
  });
}
