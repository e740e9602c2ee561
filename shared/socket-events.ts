import type { Approval, DecideApprovalPayload } from "./approval.js";
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

/** `{approvalId, decision, comment?}`, checked by the server with the zod schema of the same name. */
export type DecidePayload = DecideApprovalPayload;

export interface ClientToServerEvents {
  "conversation:join": (payload: JoinPayload, ack: Ack<{ events: Event[] }>) => void;
  "conversation:leave": (payload: { conversationId: string }) => void;
  "message:send": (payload: SendPayload, ack: Ack<{ eventId: string }>) => void;
  /** The first decision wins; a later one is refused with code `already_decided`, naming who decided. */
  "approval:decide": (payload: DecidePayload, ack: Ack<{ approval: Approval }>) => void;
}

export interface ServerToClientEvents {
  "conversation:event": (event: Event) => void;
  "message:delta": (delta: MessageDelta) => void;
}
