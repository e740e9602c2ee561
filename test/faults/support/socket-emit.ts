import { io, type Socket } from "socket.io-client";
import { reportIfStillWaiting } from "../../support/api-client.js";

/** A Socket.IO client without the typed event maps: the fault tests send what the types forbid. */
export type LooseSocket = Socket;

export type EmitOutcome =
  | { kind: "ack"; response: unknown }
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
 * An acknowledgement is waited for however long the server takes (how long a handler needs is not
 * ours to guess); one that never comes is reported, naming `label`, when the test times out. Without
 * an acknowledgement, two requests the server always answers are sent behind this one on the same
 * socket: once they are answered, the server has read this one and kept the connection.
 */
export function emitAndSettle(socket: LooseSocket, event: string, args: unknown[], ack: boolean, label = event): Promise<EmitOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let stopReporting = () => {};
    const settle = (outcome: EmitOutcome) => {
      if (settled) return;
      settled = true;
      stopReporting();
      socket.off("disconnect", onDisconnect);
      resolve(outcome);
    };
    const onDisconnect = (reason: string) => settle({ kind: "disconnected", reason });
    if (!socket.connected) {
      settle({ kind: "disconnected", reason: "not connected" });
      return;
    }
    socket.on("disconnect", onDisconnect);
    if (ack) {
      stopReporting = reportIfStillWaiting(`the acknowledgement of ${label}`, () => "the socket is still connected");
      socket.emit(event, ...args, (response: unknown) => settle({ kind: "ack", response }));
      return;
    }
    socket.emit(event, ...args);
    void (async () => {
      await probe(socket);
      await probe(socket);
      settle({ kind: "sent" });
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
