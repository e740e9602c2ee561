/**
 * Control of a turn: stop it, retry a message, edit and resend one. One schema per request, used
 * by the REST routes, the socket gateway and the client alike.
 */
import { z } from "zod";
import { ClientMsgId, ConversationId, messageText } from "./api.js";

/** A user message named by its event (stream) id. */
export const MessageEventId = z.string().regex(/^\d{1,20}-\d{1,20}$/, "eventId must be a stream id such as 1700000000000-0");

/** `POST /api/conversations/:id/stop`: an optional reason, shown with who stopped the turn. */
export const StopTurnBody = z.object({ reason: z.string().trim().min(1).max(200).optional() }).strict();
export type StopTurnBody = z.infer<typeof StopTurnBody>;

/** What a stop answers: the runs it stopped (they end with `run.cancelled`) and who stopped them. */
export const StopTurnResult = z.object({ stopped: z.array(z.string()), by: z.string() });
export type StopTurnResult = z.infer<typeof StopTurnResult>;

/** `POST …/messages/:eventId/retry`: the same text again as a new message; `clientMsgId` makes a resend safe. */
export const RetryMessageBody = z.object({ clientMsgId: ClientMsgId.optional() }).strict();

/** `POST …/messages/:eventId/edit`: new text for the message. */
export function EditMessageBody(maxChars: number) {
  return z.object({ text: messageText(maxChars), clientMsgId: ClientMsgId.optional() }).strict();
}

export const StopTurnPayload = StopTurnBody.extend({ conversationId: ConversationId }).strict();
export type StopTurnPayload = z.infer<typeof StopTurnPayload>;

/** As for `message:send`, a socket client must name each message it sends (`clientMsgId`), so a resend after a drop is safe. */
export const RetryPayload = z.object({ conversationId: ConversationId, eventId: MessageEventId, clientMsgId: ClientMsgId }).strict();
export type RetryPayload = z.infer<typeof RetryPayload>;

export function EditPayload(maxChars: number) {
  return z.object({ conversationId: ConversationId, eventId: MessageEventId, text: messageText(maxChars), clientMsgId: ClientMsgId }).strict();
}
export type EditPayload = z.infer<ReturnType<typeof EditPayload>>;
