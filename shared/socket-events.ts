/**
 * The Socket.IO contract. What a client emits is described once, as zod schemas: the gateway
 * validates with them (a mismatch is refused in the schema's words) and both ends take their types
 * from them.
 */
import { z } from "zod";
import { ClientMsgId, ConversationId, Cursor, messageText } from "./api.js";
import { DecideApprovalPayload, type Approval } from "./approval.js";
import type { ErrorBody, ErrorCode } from "./errors.js";
import type { Event, MessageDelta } from "./events.js";
import type { EditPayload, RetryPayload, StopTurnPayload, StopTurnResult } from "./turn-control.js";
import type { StreamedText } from "./streamed-text.js";

/**
 * `after` is the last event id the client has; the ack holds everything after it, and the text of
 * each run streaming right now (`JoinAck`).
 */
export const JoinPayload = z.object({ conversationId: ConversationId, after: Cursor.optional() }).strict();
export type JoinPayload = z.infer<typeof JoinPayload>;

export const LeavePayload = z.object({ conversationId: ConversationId }).strict();
export type LeavePayload = z.infer<typeof LeavePayload>;

/**
 * The text's upper bound comes from configuration, as for `PostMessageBody`. `clientMsgId` is
 * required here: a socket client retries after a drop, and the id is what makes that safe.
 */
export function SendPayload(maxChars: number) {
  return z.object({ conversationId: ConversationId, text: messageText(maxChars), clientMsgId: ClientMsgId }).strict();
}
export type SendPayload = z.infer<ReturnType<typeof SendPayload>>;

/** The REST decision body plus the approval's id. */
export const DecidePayload = DecideApprovalPayload;
export type DecidePayload = DecideApprovalPayload;

/** Every acknowledgement carries either the result or an error of the shared taxonomy (shared/errors.ts). */
export type AckResponse<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type Ack<T> = (response: AckResponse<T>) => void;

/**
 * What a join is acknowledged with: the events after the cursor, and the text each run has streamed
 * so far (not yet logged), so a client that joins mid-answer shows it at once and goes on with the
 * deltas numbered after it.
 */
export interface JoinAck {
  events: Event[];
  streams: StreamedText[];
}

/** `data` of a refused connection's error: the code, and when a rate-limited address may try again (seconds). */
export interface ConnectRefusal {
  code: ErrorCode;
  retryAfter?: number;
}

export interface ClientToServerEvents {
  "conversation:join": (payload: JoinPayload, ack: Ack<JoinAck>) => void;
  "conversation:leave": (payload: LeavePayload) => void;
  "message:send": (payload: SendPayload, ack: Ack<{ eventId: string }>) => void;
  /** The first decision wins; a later one is refused with code `already_decided`, naming who decided. */
  "approval:decide": (payload: DecidePayload, ack: Ack<{ approval: Approval }>) => void;
  /** Stops the conversation's running turn, as `POST /api/conversations/:id/stop`; refused with `no_running_turn` when none runs. */
  "turn:stop": (payload: StopTurnPayload, ack: Ack<StopTurnResult>) => void;
  /** A new run of a user message (a new message that replaces it); the ack comes once it is durable. */
  "message:retry": (payload: RetryPayload, ack: Ack<{ eventId: string }>) => void;
  /** New text in place of a user message, sent as a new message that replaces it. */
  "message:edit": (payload: EditPayload, ack: Ack<{ eventId: string }>) => void;
}

export interface ServerToClientEvents {
  "conversation:event": (event: Event) => void;
  "message:delta": (delta: MessageDelta) => void;
}
