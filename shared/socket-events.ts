import type { Event, MessageDelta } from "./events.js";

/** Every acknowledgement carries either the result or a reason a person can read. */
export type AckResponse<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };
export type Ack<T> = (response: AckResponse<T>) => void;

export interface JoinPayload {
  conversationId: string;
  /** Last event id the client has; the ack holds everything after it. */
  after?: string;
}

export interface SendPayload {
  conversationId: string;
  text: string;
  /** Chosen by the client; a retry with the same id does not post twice. */
  clientMsgId: string;
}

export interface ClientToServerEvents {
  "conversation:join": (payload: JoinPayload, ack: Ack<{ events: Event[] }>) => void;
  "conversation:leave": (payload: { conversationId: string }) => void;
  "message:send": (payload: SendPayload, ack: Ack<{ eventId: string }>) => void;
}

export interface ServerToClientEvents {
  "conversation:event": (event: Event) => void;
  "message:delta": (delta: MessageDelta) => void;
}
