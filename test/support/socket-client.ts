import { io, type Socket } from "socket.io-client";
import type { Event, MessageDelta } from "../../shared/events.js";
import type { AckResponse, ClientToServerEvents, ServerToClientEvents } from "../../shared/socket-events.js";

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A real Socket.IO client that records what it receives. */
export class SocketClient {
  readonly socket: TestSocket;
  readonly events: Event[] = [];
  readonly deltas: MessageDelta[] = [];

  constructor(url: string, token: string | undefined) {
    this.socket = io(url, { path: "/socket.io", auth: token ? { token } : {}, transports: ["websocket"], reconnection: false });
    this.socket.on("conversation:event", (event) => this.events.push(event));
    this.socket.on("message:delta", (delta) => this.deltas.push(delta));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("connect_error", reject);
    });
  }

  join(conversationId: string, after?: string): Promise<AckResponse<{ events: Event[] }>> {
    return this.socket.timeout(10_000).emitWithAck("conversation:join", { conversationId, ...(after ? { after } : {}) });
  }

  send(conversationId: string, text: string, clientMsgId: string): Promise<AckResponse<{ eventId: string }>> {
    return this.socket.timeout(10_000).emitWithAck("message:send", { conversationId, text, clientMsgId });
  }

  /** Resolves once `done` holds for the live events received so far. */
  async waitFor(done: (events: Event[]) => boolean, timeoutMs = 20_000): Promise<Event[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events)) {
      if (Date.now() > deadline) throw new Error(`timed out; received: ${this.events.map((e) => e.type).join(", ")}`);
      await new Promise<void>((resolve) => {
        const wake = () => resolve();
        this.socket.once("conversation:event", wake);
        setTimeout(() => {
          this.socket.off("conversation:event", wake);
          resolve();
        }, 200);
      });
    }
    return this.events;
  }

  close(): void {
    this.socket.close();
  }
}
