import { io, type Socket } from "socket.io-client";
import type { Event, MessageDelta } from "../../shared/events.js";
import type { AckResponse, ClientToServerEvents, JoinAck, ServerToClientEvents } from "../../shared/socket-events.js";
import { describeEvents, reportIfStillWaiting } from "./harness.js";

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

  join(conversationId: string, after?: string): Promise<AckResponse<JoinAck>> {
    return this.acknowledged("conversation:join", () => this.socket.emitWithAck("conversation:join", { conversationId, ...(after ? { after } : {}) }));
  }

  send(conversationId: string, text: string, clientMsgId: string): Promise<AckResponse<{ eventId: string }>> {
    return this.acknowledged("message:send", () => this.socket.emitWithAck("message:send", { conversationId, text, clientMsgId }));
  }

  /** The server's acknowledgement of what `emit` sends; no deadline of its own (see `waitFor`). */
  private async acknowledged<T>(what: string, emit: () => Promise<T>): Promise<T> {
    const over = reportIfStillWaiting(`the server to acknowledge ${what}`, () => `the socket is ${this.socket.connected ? "connected" : "disconnected"}`);
    try {
      return await emit();
    } finally {
      over();
    }
  }

  /**
   * Resolves once `done` holds for the live events received so far, checking again at each event
   * that arrives. No deadline: the test's timeout bounds it, and a test that ends meanwhile
   * reports what was received.
   */
  waitFor(done: (events: Event[]) => boolean): Promise<Event[]> {
    return new Promise<Event[]>((resolve, reject) => {
      const check = () => {
        let holds: boolean;
        try {
          holds = done(this.events);
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (holds) {
          finish();
          resolve(this.events);
        }
      };
      const over = reportIfStillWaiting(
        "the live events to hold what the test expects",
        () => `the socket is ${this.socket.connected ? "connected" : "disconnected"} and received ${describeEvents(this.events)}`,
        (reason) => {
          finish();
          reject(reason);
        },
      );
      const finish = () => {
        this.socket.off("conversation:event", check);
        over();
      };
      // After the constructor's listener, so `this.events` already holds the new event.
      this.socket.on("conversation:event", check);
      check();
    });
  }

  close(): void {
    this.socket.close();
  }
}
